package authz_test

import (
	"context"
	"io/fs"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/mypatients/gateway/authz"
	"github.com/mypatients/gateway/policies"
)

// bundleCopy returns the embedded bundle as a map, with change applied to the named files.
func bundleCopy(t *testing.T, change map[string]func([]byte) []byte) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, name)
		if f := change[name]; f != nil {
			b = f(b)
		}
		out[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func revisionOf(t *testing.T, bundle fs.FS) string {
	t.Helper()
	p, err := authz.LoadPolicy(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	return p.Revision()
}

// TestRevisionFollowsThePolicy: the revision audit records carry names the policy's content,
// so it changes with any policy file or the manifest, and with nothing else.
func TestRevisionFollowsThePolicy(t *testing.T) {
	t.Parallel()
	appendComment := func(b []byte) []byte { return append(b, "\n# one more comment\n"...) }
	rev := revisionOf(t, policies.FS)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{16}$`).MatchString(rev) {
		t.Fatalf("revision %q is not sha256:<16 hex digits>", rev)
	}
	if got := revisionOf(t, bundleCopy(t, nil)); got != rev {
		t.Fatalf("the same bundle has revision %s and %s", rev, got)
	}
	for name, same := range map[string]bool{
		"mypatients/relationships/relationships.rego": false,
		"mypatients/standing/standing.rego":           false,
		".manifest":                                   false,
		"mypatients/access/access_test.rego":          true,
	} {
		change := appendComment
		if name == ".manifest" {
			change = func(b []byte) []byte { return append(b, ' ') }
		}
		got := revisionOf(t, bundleCopy(t, map[string]func([]byte) []byte{name: change}))
		if (got == rev) != same {
			t.Errorf("changing %s: revision %s, was %s", name, got, rev)
		}
	}
	moved := bundleCopy(t, nil)
	moved["mypatients/standing/moved.rego"] = moved["mypatients/standing/standing.rego"]
	delete(moved, "mypatients/standing/standing.rego")
	if got := revisionOf(t, moved); got == rev {
		t.Errorf("renaming a policy file kept revision %s", rev)
	}
}
