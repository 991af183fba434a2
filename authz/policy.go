package authz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/mypatients/gateway"
	"github.com/mypatients/gateway/policies"
)

// Policy is the access policy compiled and prepared for evaluation. It is safe for concurrent
// use; a new bundle means a new Policy, never a changed one.
type Policy struct {
	query    rego.PreparedEvalQuery
	revision string
}

// manifest is the part of an OPA bundle's .manifest that the gateway reads.
type manifest struct {
	Revision string `json:"revision"`
}

// LoadPolicy compiles the policy modules of bundle (every .rego file except the _test.rego
// ones) and prepares the decision query. The revision is the manifest's revision followed by a
// hash of the manifest and the modules, so that a changed file can never pass for the
// revision it replaced.
func LoadPolicy(ctx context.Context, bundle fs.FS) (*Policy, error) {
	files, err := policyFiles(bundle)
	if err != nil {
		return nil, err
	}
	rawManifest, err := fs.ReadFile(bundle, ".manifest")
	if err != nil {
		return nil, fmt.Errorf("authz: read policy manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(rawManifest, &m); err != nil {
		return nil, fmt.Errorf("authz: decode policy manifest: %w", err)
	}
	if m.Revision == "" {
		return nil, errors.New("authz: policy manifest has no revision")
	}
	hash := sha256.New()
	writeHashed(hash, ".manifest", rawManifest)
	opts := []func(*rego.Rego){
		rego.Query(policies.Query),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	}
	for _, name := range files {
		src, err := fs.ReadFile(bundle, name)
		if err != nil {
			return nil, fmt.Errorf("authz: read policy %s: %w", name, err)
		}
		writeHashed(hash, name, src)
		opts = append(opts, rego.Module(name, string(src)))
	}
	prepared, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("authz: compile policy: %w", err)
	}
	return &Policy{
		query:    prepared,
		revision: m.Revision + "+sha256:" + hex.EncodeToString(hash.Sum(nil))[:16],
	}, nil
}

// writeHashed feeds one named file into h, length-prefixed so that no two different bundles
// produce the same stream.
func writeHashed(h io.Writer, name string, content []byte) {
	fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(content))
	h.Write(content)
}

// policyFiles lists the .rego files of bundle that decide (tests excluded), sorted.
func policyFiles(bundle fs.FS) ([]string, error) {
	files, err := regoFiles(bundle)
	if err != nil {
		return nil, err
	}
	files = slices.DeleteFunc(files, func(name string) bool { return strings.HasSuffix(name, "_test.rego") })
	if len(files) == 0 {
		return nil, errors.New("authz: policy bundle has no policy modules")
	}
	return files, nil
}

// regoFiles lists every .rego file of bundle, tests included, sorted.
func regoFiles(bundle fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(bundle, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(name) == ".rego" {
			files = append(files, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("authz: list policy files: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// Revision identifies the bundle: manifest revision and content hash.
func (p *Policy) Revision() string { return p.revision }

// Evaluate runs the decision query on input. Any evaluation fault, a panic inside OPA, an
// empty result or a result of the wrong shape is an error: the caller must deny. The
// returned Decision carries the policy revision but no decision id.
func (p *Policy) Evaluate(ctx context.Context, input Input) (d gateway.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = gateway.Decision{}, fmt.Errorf("authz: policy evaluation panicked: %v", r)
		}
	}()
	rs, err := p.query.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return gateway.Decision{}, fmt.Errorf("authz: evaluate policy: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return gateway.Decision{}, errors.New("authz: policy gave no decision")
	}
	d, err = decodeDecision(rs[0].Expressions[0].Value, input.Request.Patients)
	if err != nil {
		return gateway.Decision{}, err
	}
	d.PolicyRevision = p.revision
	return d, nil
}

// regoDecision is the decision document as the policy writes it. Pointers tell a missing
// field from a zero one.
type regoDecision struct {
	Allow    *bool                              `json:"allow"`
	Patients map[string]gateway.PatientDecision `json:"patients"`
	Reasons  []gateway.Reason                   `json:"reasons"`
	Basis    string                             `json:"basis"`
}

// decodeDecision checks the decision document's shape and its internal consistency: a
// decision that allows must have allowed every requested patient, or name no patient and
// give the basis that allowed the request; a denial must say why.
func decodeDecision(v any, patients []string) (gateway.Decision, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return gateway.Decision{}, fmt.Errorf("authz: encode policy decision: %w", err)
	}
	var rd regoDecision
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rd); err != nil {
		return gateway.Decision{}, fmt.Errorf("authz: decode policy decision: %w", err)
	}
	if rd.Allow == nil || rd.Patients == nil {
		return gateway.Decision{}, errors.New("authz: policy decision lacks allow or patients")
	}
	for _, id := range patients {
		if _, ok := rd.Patients[id]; !ok {
			return gateway.Decision{}, fmt.Errorf("authz: policy decision says nothing about patient %q", id)
		}
	}
	if *rd.Allow && len(rd.Reasons) > 0 {
		return gateway.Decision{}, errors.New("authz: policy allowed with reasons")
	}
	switch {
	case rd.Basis != "" && (!*rd.Allow || len(patients) > 0):
		return gateway.Decision{}, errors.New("authz: policy gave a basis other than for an allowed request naming no patient")
	case *rd.Allow && len(patients) == 0 && rd.Basis == "":
		return gateway.Decision{}, errors.New("authz: policy allowed a request naming no patient without a basis")
	}
	for id, pd := range rd.Patients {
		if *rd.Allow && !pd.Allowed {
			return gateway.Decision{}, fmt.Errorf("authz: policy allowed but refused patient %q", id)
		}
		if pd.Allowed == (pd.Basis == "") || !pd.Allowed && pd.Reason == nil {
			return gateway.Decision{}, fmt.Errorf("authz: policy answer for patient %q is malformed", id)
		}
	}
	if !*rd.Allow && len(rd.Reasons) == 0 {
		return gateway.Decision{}, errors.New("authz: policy denied without a reason")
	}
	return gateway.Decision{Allow: *rd.Allow, Patients: rd.Patients, Reasons: rd.Reasons, Basis: rd.Basis}, nil
}
