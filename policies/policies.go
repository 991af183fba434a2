// Package policies holds the gateway's access policy as Rego source: the bundle manifest, the
// policies under access/ and, beside each, its _test.rego tests. The bundle is embedded into
// the binary so that the gateway decides with exactly the files auditors read and test. Only
// the authz package loads it into OPA; nothing else should interpret these files, and no Go
// logic belongs here.
//
// Auditors run the tests with `go run ./cmd/mypatients policy test` (see README.md).
package policies

import "embed"

// FS is the embedded policy bundle: ".manifest" at its root and the Rego modules (policies and
// their tests) under access/. Files ending in _test.rego are tests, never loaded to decide.
//
//go:embed .manifest access/*.rego
var FS embed.FS

// Query is the Rego query whose value is the access decision.
const Query = "data.mypatients.access.decision"
