package smart

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mypatients/gateway/redisstore"
	"github.com/mypatients/gateway/redisstore/redistest"
)

func TestCreateLaunch(t *testing.T) {
	t.Parallel()
	redistest.Run(t, func(t *testing.T, srv *redistest.Server) {
		s, hs := newTestServer(t, srv.Client)
		post := func(body, user, pass string) (int, map[string]any) {
			req, _ := http.NewRequest(http.MethodPost, hs.URL+"/smart/launch", strings.NewReader(body))
			if user != "" {
				req.SetBasicAuth(user, pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		tests := []struct {
			name, body, user, pass string
			want                   int
		}{
			{"ok", `{"patient":"child-01","encounter":"enc-1","client_id":"app"}`, "ehr", "ehr-secret", 201},
			{"no credentials", `{"patient":"child-01"}`, "", "", 401},
			{"wrong secret", `{"patient":"child-01"}`, "ehr", "nope", 401},
			{"an app is no launcher", `{"patient":"child-01"}`, "conf", "s3cret", 401},
			{"no patient", `{}`, "ehr", "ehr-secret", 400},
			{"bad patient id", `{"patient":"../x"}`, "ehr", "ehr-secret", 400},
			{"unknown field", `{"patient":"child-01","scope":"x"}`, "ehr", "ehr-secret", 400},
			{"unknown app", `{"patient":"child-01","client_id":"nobody"}`, "ehr", "ehr-secret", 400},
			{"absolute fhirContext", `{"patient":"child-01","fhir_context":[{"reference":"https://x/Observation/1"}]}`, "ehr", "ehr-secret", 400},
			{"Encounter with launch role", `{"patient":"child-01","fhir_context":[{"reference":"Encounter/e","role":"launch"}]}`, "ehr", "ehr-secret", 400},
			{"other context", `{"patient":"child-01","fhir_context":[{"reference":"Observation/o1"}]}`, "ehr", "ehr-secret", 201},
		}
		for _, tt := range tests {
			status, out := post(tt.body, tt.user, tt.pass)
			if status != tt.want {
				t.Errorf("%s: %d %v, want %d", tt.name, status, out, tt.want)
				continue
			}
			if status == http.StatusCreated {
				launch, _ := out["launch"].(string)
				var rec launchRecord
				if len(launch) != 43 || redisstore.GetJSON(t.Context(), s.rdb, s.launchKey(launch), &rec) != nil || rec.Patient != "child-01" {
					t.Errorf("%s: launch %q not stored under its hash", tt.name, launch)
				}
			}
		}
	})
}

func TestDescribeScope(t *testing.T) {
	t.Parallel()
	for sc, want := range map[string]string{
		"patient/Observation.rs":            "Read and search Observation records of the chosen patient",
		"user/*.read":                       "Read and search all record types of the patients you may see",
		"patient/Observation.rs?category=x": "Read and search Observation records of the chosen patient, only where category=x",
		"offline_access":                    "Keep access after you close the app",
	} {
		if got := describeScope(sc); got != want {
			t.Errorf("describeScope(%q) = %q, want %q", sc, got, want)
		}
	}
}
