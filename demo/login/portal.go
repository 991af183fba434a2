package login

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// Portal signs username in to the clinicians' portal at gateway the way a browser does: the
// portal's sign-in page and its button for idp, the gateway's authorize endpoint, the demo
// IdP's login form, and back through the gateway to the portal. It returns a client holding
// the portal's session cookie (redirects followed) and the page the portal showed.
func Portal(ctx context.Context, gateway, idp, username, password string) (*http.Client, string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	page, resp, err := fetch(ctx, c, http.MethodGet, strings.TrimRight(gateway, "/")+"/", nil)
	if err != nil {
		return nil, "", err
	}
	f, err := parseFormWith(page, "idp", idp)
	if err != nil {
		return nil, "", err
	}
	// The sign-in form ends at the IdP's login form.
	if page, resp, err = fetch(ctx, c, http.MethodPost, resp.Request.URL.ResolveReference(f.action).String(), f.values); err != nil {
		return nil, "", err
	}
	if f, err = parseForm(page); err != nil {
		return nil, "", err
	}
	f.values.Set("username", username)
	f.values.Set("password", password)
	page, resp, err = fetch(ctx, c, http.MethodPost, resp.Request.URL.ResolveReference(f.action).String(), f.values)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), strings.TrimRight(gateway, "/")+"/") {
		return nil, "", fmt.Errorf("login: the portal did not sign %s in (%d at %s): %s", username, resp.StatusCode, resp.Request.URL, text(page))
	}
	return c, page, nil
}

// fetch sends one request (a form when form is not nil) and returns the final page.
func fetch(ctx context.Context, c *http.Client, method, u string, form url.Values) (string, *http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("login: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return string(b), resp, err
}
