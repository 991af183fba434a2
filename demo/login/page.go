package login

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// AtIdP signs username in at a demo IdP the way a browser does for a page that sends its users
// there (the auditors' page): it gets start, which must lead through redirects to the IdP's login
// form, fills the form in and posts it, following the redirects after it with c (whose cookie
// jar carries the page's cookies). It returns the last answer's status and body.
func AtIdP(ctx context.Context, c *http.Client, start, username, password string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, start, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("login: %s: %w", start, err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return 0, "", err
	}
	f, err := parseForm(string(b))
	if err != nil {
		return resp.StatusCode, string(b), err
	}
	f.values.Set("username", username)
	f.values.Set("password", password)
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, resp.Request.URL.ResolveReference(f.action).String(), strings.NewReader(f.values.Encode()))
	if err != nil {
		return 0, "", err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(post)
	if err != nil {
		return 0, "", fmt.Errorf("login: post credentials: %w", err)
	}
	defer resp.Body.Close()
	b, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), err
}
