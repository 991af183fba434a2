package scope

import "testing"

func TestParseResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		ok      bool
		wantErr bool
		want    Resource
	}{
		{"openid", false, false, Resource{}},
		{"launch/patient", false, false, Resource{}},
		{"user/Observation.read", true, false, Resource{Context: "user", Type: "Observation", Perms: "rs", V1: true}},
		{"patient/*.read", true, false, Resource{Context: "patient", Type: "*", Perms: "rs", V1: true}},
		{"user/*.*", true, false, Resource{Context: "user", Type: "*", Perms: "cruds", V1: true}},
		{"user/Patient.write", true, false, Resource{Context: "user", Type: "Patient", Perms: "cud", V1: true}},
		{"patient/Observation.rs", true, false, Resource{Context: "patient", Type: "Observation", Perms: "rs"}},
		{"system/Patient.r", true, false, Resource{Context: "system", Type: "Patient", Perms: "r"}},
		{"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory", true, false,
			Resource{Context: "patient", Type: "Observation", Perms: "rs", Query: "category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"}},
		{"patient/Observation.sr", true, true, Resource{}},
		{"patient/Observation.rr", true, true, Resource{}},
		{"patient/Observation.x", true, true, Resource{}},
		{"patient/Observation.read?category=x", true, true, Resource{}},
		{"patient/observation.read", true, true, Resource{}},
		{"patient/Observation.rs?%zz", true, true, Resource{}},
	}
	for _, tt := range tests {
		got, ok, err := ParseResource(tt.in)
		if ok != tt.ok || (err != nil) != tt.wantErr {
			t.Errorf("ParseResource(%q) ok=%v err=%v, want ok=%v err=%v", tt.in, ok, err, tt.ok, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParseResource(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if err == nil && ok && got.String() != tt.in && !(got.V1 && got.Perms == "cruds") {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"user/*.read", "user/*.read", true},
		{"user/*.*", "user/*.read", true},
		{"user/*.write", "", false},
		{"patient/Observation.cruds", "patient/Observation.rs", true},
		{"patient/Observation.cud", "", false},
		{"patient/Observation.r", "patient/Observation.r", true},
	}
	for _, tt := range tests {
		r, _, err := ParseResource(tt.in)
		if err != nil {
			t.Fatalf("ParseResource(%q): %v", tt.in, err)
		}
		got, ok := r.ReadOnly()
		if ok != tt.ok || (ok && got.String() != tt.want) {
			t.Errorf("ReadOnly(%q) = %q, %v; want %q, %v", tt.in, got.String(), ok, tt.want, tt.ok)
		}
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	got := Split("  openid  user/*.read openid\tlaunch ")
	want := []string{"openid", "user/*.read", "launch"}
	if len(got) != len(want) {
		t.Fatalf("Split = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Split = %q, want %q", got, want)
		}
	}
}
