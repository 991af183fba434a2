package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The portal's reads of the gateway's FHIR API, as the signed-in clinician.

// errRefused is a read or search the gateway refused (403): the clinician may not see it.
var errRefused = errors.New("portal: the gateway refused")

// errExpired is a token the gateway no longer honours: the clinician signs in again.
var errExpired = errors.New("portal: signed out by the gateway")

// maxEntries bounds what one listing reads, following the gateway's next links; a listing
// that reaches it says so on the page.
const maxEntries = 1000

type bundle struct {
	Link []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// search runs GET [base]/typ?q and follows next links up to limit resources; more reports a
// listing cut at limit.
func (p *Portal) search(ctx context.Context, r request, typ string, q url.Values, limit int) (res []json.RawMessage, more bool, err error) {
	if q.Get("_count") == "" {
		q.Set("_count", "100")
	}
	next := p.gw.fhirBase() + "/" + typ + "?" + q.Encode()
	for next != "" {
		if len(res) >= limit {
			return res[:limit], true, nil
		}
		var b bundle
		if err := p.fhirGet(ctx, r, next, &b); err != nil {
			return nil, false, err
		}
		for _, e := range b.Entry {
			res = append(res, e.Resource)
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" && strings.HasPrefix(l.URL, p.gw.fhirBase()+"/") {
				next = l.URL
			}
		}
	}
	if len(res) > limit {
		return res[:limit], true, nil
	}
	return res, false, nil
}

// read returns the resource typ/id.
func (p *Portal) read(ctx context.Context, r request, typ, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := p.fhirGet(ctx, r, p.gw.fhirBase()+"/"+typ+"/"+url.PathEscape(id), &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// fhirGet gets u as the clinician and decodes the answer into out.
func (p *Portal) fhirGet(ctx context.Context, r request, u string, out any) error {
	bearer, err := p.bearer(ctx, r.sess)
	if err != nil {
		return fmt.Errorf("%w: %w", errExpired, err)
	}
	var body json.RawMessage
	status, err := p.gw.send(ctx, http.MethodGet, u, bearer, "", nil, &body)
	switch {
	case err != nil:
		return err
	case status == http.StatusUnauthorized:
		return errExpired
	case status == http.StatusForbidden || status == http.StatusNotFound:
		return errRefused
	case status != http.StatusOK:
		return fmt.Errorf("portal: FHIR API answered %d", status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("portal: FHIR answer: %w", err)
	}
	return nil
}

// api calls /api as the clinician, refreshing the token first when needed.
func (p *Portal) api(ctx context.Context, r request, method, path string, in, out any) (int, error) {
	bearer, err := p.bearer(ctx, r.sess)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errExpired, err)
	}
	return p.gw.api(ctx, bearer, method, path, in, out)
}

// failed answers a read that failed: the sign-in page for an ended session, the refusal page
// for a refusal, a fault page otherwise.
func (p *Portal) failed(w http.ResponseWriter, r request, err error) {
	switch {
	case errors.Is(err, errExpired):
		_ = p.sessions.End(r.Context(), w, r.sess)
		p.toSignin(w, r.Request, "expired")
	case errors.Is(err, errRefused):
		p.message(w, r.Request, r.sess, http.StatusForbidden, "Not available to you",
			"You are not authorized to see this. Search for the patient to see why and how to ask for access.")
	default:
		p.fault(r.Request, "read", err)
		p.message(w, r.Request, r.sess, http.StatusBadGateway, "The hospital record is not available",
			"MyPatients could not read it right now. Try again in a few minutes.")
	}
}
