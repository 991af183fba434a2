package test

import (
	"strings"
	"testing"
)

// TestCLIAccountRefusals: the support team's account command refuses, before touching Redis,
// what would suspend the wrong account or leave an unexplained record.
func TestCLIAccountRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"account"}, "usage: mypatients account"},
		{[]string{"account", "delete", "accounts:u-pcp"}, "usage: mypatients account"},
		{[]string{"account", "suspend", "accounts:u-pcp"}, "--reason is required"},
		{[]string{"account", "suspend", "accounts:u-pcp", "--reason", "  "}, "--reason is required"},
		{[]string{"account", "suspend", "pcp", "--reason", "typo"}, "usage: mypatients account"},
		{[]string{"account", "show", "accounts:u-pcp", "accounts:u-pcp2"}, "usage: mypatients account"},
		{[]string{"account", "reinstate", "accounts:u pcp"}, "usage: mypatients account"},
	} {
		code, out := runCLI(t, nil, tc.args...)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want an error with %q:\n%s", tc.args, code, tc.want, out)
		}
	}
}
