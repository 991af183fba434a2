// Package policies holds the gateway's access policy as Rego source: the bundle manifest, the
// policy packages under mypatients/ (one folder per package, named as the package is) and,
// beside each, its _test.rego tests. The bundle is embedded into the binary so that the
// gateway decides with exactly the files auditors read and test. Only the authz package loads
// it into OPA; nothing else should interpret these files, and no Go logic belongs here.
//
// Auditors run the tests with `go run ./cmd/mypatients policy test` (see README.md).
package policies

import "embed"

// FS is the embedded policy bundle: ".manifest" at its root and the Rego modules (policies and
// their tests) under mypatients/. Files ending in _test.rego are tests, never loaded to decide.
//
//go:embed .manifest mypatients/*/*.rego
var FS embed.FS

// InputSchema is input.schema.json, the JSON Schema of the input document: the gateway checks
// the documents auditors give `mypatients policy explain` against it.
//
//go:embed input.schema.json
var InputSchema []byte

// The bundle's two entrypoints.
const (
	// Query is the Rego query whose value is the access decision on one request.
	Query = "data.mypatients.access.decision"
	// StandingQuery is the Rego query whose value says whether the principal's relationships
	// count at all (account standing), asked before a search is confined to patients.
	StandingQuery = "data.mypatients.standing.decision"
)
