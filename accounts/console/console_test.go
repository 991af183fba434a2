package console

import "testing"

func TestHasValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		claim any
		ok    bool
	}{
		{"mypatients-support", true}, {[]any{"staff", "mypatients-support"}, true},
		{"mypatients-support-x", false}, {[]any{"staff"}, false}, {nil, false}, {42, false},
	} {
		if got := hasValue(tc.claim, "mypatients-support"); got != tc.ok {
			t.Errorf("hasValue(%v) = %v", tc.claim, got)
		}
	}
}
