package authz

import (
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// decisionMemo remembers the policy's answers by their exact question. The policy is a pure
// function of its input (LoadPolicy checks that no rule calls a nondeterministic builtin such
// as time.now_ns or http.send, and turns the memo off if one does), and one memo belongs to one
// compiled Policy, so an answer remembered for an input is exactly the answer evaluating it
// again would give: nothing the policy decides changes. The facts are not remembered: every
// request gathers them fresh, and the input they make (with its time to the second) is the key.
// Each Decide still gets its own decision id.
type decisionMemo struct {
	mu      sync.Mutex
	answers map[string][]byte // query and input JSON → the answer's JSON
}

// memoSize bounds the memo; when it is full it is emptied. Keys hold the time of the request
// to the second, so old entries are of no use anyway.
const memoSize = 4096

func (m *decisionMemo) get(key string) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.answers[key]
	return raw, ok
}

func (m *decisionMemo) put(key string, raw []byte) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.answers) >= memoSize || m.answers == nil {
		m.answers = make(map[string][]byte, memoSize)
	}
	m.answers[key] = raw
}

// nondeterministic returns the first nondeterministic builtin the modules call, "" when none:
// every call, whether an expression of its own or nested in one (x := http.send(...)).
func nondeterministic(modules map[string]*ast.Module) string {
	var found []string
	check := func(op ast.Ref) {
		if b, ok := ast.BuiltinMap[op.String()]; ok && b.Nondeterministic {
			found = append(found, b.Name)
		}
	}
	for _, m := range modules {
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if e.IsCall() {
				check(e.Operator())
			}
			return false
		})
		ast.WalkTerms(m, func(t *ast.Term) bool {
			if call, ok := t.Value.(ast.Call); ok && len(call) > 0 {
				if op, ok := call[0].Value.(ast.Ref); ok {
					check(op)
				}
			}
			return false
		})
	}
	if len(found) == 0 {
		return ""
	}
	slices.Sort(found)
	return found[0]
}
