package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
	"github.com/mypatients/gateway/audit/auditpage"
	"github.com/mypatients/gateway/audit/forward"
	"github.com/mypatients/gateway/config"
)

// answer writes the records of an answer in the format asked for.
type answer struct {
	format string
	m      *auditevent.Mapper
	enc    *json.Encoder
	tw     *tabwriter.Writer
	n      int
}

func newAnswer(w io.Writer, format string, m *auditevent.Mapper) *answer {
	return &answer{format: format, m: m, enc: json.NewEncoder(w), tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

func (a *answer) add(e audit.Entry, r audit.Record) error {
	a.n++
	switch a.format {
	case "json":
		return a.enc.Encode(r)
	case "auditevent":
		for _, ev := range a.m.Events(r, e.Seq) {
			if err := a.enc.Encode(ev); err != nil {
				return err
			}
		}
		return nil
	}
	if a.n == 1 {
		fmt.Fprintln(a.tw, "TIME (UTC)\tEVENT\tWHO\tFOR\tAPP\tPATIENTS\tDISCLOSED\tWHAT\tDECISION\tRULE OR REASON\tSTATUS")
	}
	d := audit.Describe(r)
	status := ""
	if d.Status > 0 {
		status = strconv.Itoa(d.Status)
	}
	_, err := fmt.Fprintf(a.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		d.Time, d.Event, d.Who, d.For, d.App, d.Patients, d.Disclosed, d.What, d.Decision, d.Why, status)
	return err
}

func (a *answer) flush() error {
	if a.format != "text" {
		return nil
	}
	if a.n == 0 {
		fmt.Fprintln(a.tw, "no records")
	}
	return a.tw.Flush()
}

// auditVerify checks the chain and its checkpoints, reports the first place anything is not as
// the gateway wrote it, and records that it was checked.
func auditVerify(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := newFlagSet("audit verify", os.Stderr)
	store := addStoreFlags(fs)
	keysArg := fs.String("keys", "", "trusted checkpoint keys: a PEM or JWKS file, or the URL the gateway publishes them at "+
		"(default: the configured key, or in demo mode the running gateway's)")
	by := fs.String("by", os.Getenv("USER"), "who is checking, for the audit trail")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, trail, done, err := store.openTrail(ctx, environ)
	if err != nil {
		return err
	}
	defer done()
	keys, err := verifyKeys(ctx, cfg, *keysArg)
	if err != nil {
		return err
	}
	report, err := trail.Verify(ctx, keys)
	if err != nil {
		return err
	}
	printReport(stdout, report)
	checked := audit.Action{Event: "audit.verify", Actor: *by, Client: "mypatients-cli", Outcome: audit.Success, Reason: "chain_intact"}
	if !report.OK() {
		checked.Outcome, checked.Reason = audit.Failure, "tampering_found"
	}
	if werr := audit.WriteAction(ctx, trail, checked); werr != nil {
		fmt.Fprintf(stdout, "(the check itself could not be recorded in the trail: %v)\n", werr)
	}
	if !report.OK() {
		return fmt.Errorf("audit verify: %d problems; the first: %s", len(report.Problems), report.Problems[0])
	}
	return nil
}

func printReport(w io.Writer, r audit.Report) {
	fmt.Fprintf(w, "%d entries (seq %d to %d), %d checkpoints\n", r.Entries, r.FirstSeq, r.LastSeq, r.Checkpoints)
	if r.Sealed > 0 {
		fmt.Fprintf(w, "sealed up to seq %d by the checkpoint of %s; %d entries after it are not sealed yet\n",
			r.Sealed, r.LastCheckpoint.Format(time.RFC3339), r.LastSeq-r.Sealed)
	}
	if r.OK() {
		fmt.Fprintln(w, "OK: no entry was removed, changed, reordered or inserted")
		return
	}
	fmt.Fprintf(w, "FAIL: %s\n", r.Problems[0])
	for _, p := range r.Problems[1:] {
		fmt.Fprintf(w, "  also: %s\n", p)
	}
}

// verifyKeys returns the keys to trust: those named, else the configured key and trusted
// keys, else in demo mode those the running gateway publishes.
func verifyKeys(ctx context.Context, cfg *config.Config, arg string) (audit.Keyring, error) {
	switch {
	case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
		return fetchKeys(ctx, arg)
	case arg != "":
		return readKeyring(arg)
	case cfg.Audit.CheckpointKeyFile != "":
		return readKeyring(cfg.Audit.CheckpointKeyFile, cfg.Audit.TrustedKeysFile)
	case cfg.Demo.On():
		return fetchKeys(ctx, cfg.BaseURL+auditpage.KeysPath)
	}
	return nil, errors.New("audit verify: give --keys (a file or the gateway's " + auditpage.KeysPath + ")")
}

func fetchKeys(ctx context.Context, url string) (audit.Keyring, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("audit: keys: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("audit: fetch the checkpoint keys (is the gateway running?): %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("audit: fetch the checkpoint keys from %s: %d %v", url, resp.StatusCode, err)
	}
	return audit.ParseKeyring(b)
}

// auditStatus prints how far the forwarder and the checkpoints have come.
func auditStatus(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := newFlagSet("audit status", os.Stderr)
	store := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, trail, done, err := store.openTrail(ctx, environ)
	if err != nil {
		return err
	}
	defer done()
	keys, _ := verifyKeys(ctx, cfg, "") // without keys the status just has no checkpoint
	st, err := forward.ReadStatus(ctx, trail, sinkNames(auditSinks(cfg)), keys)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

// auditKeygen writes a new checkpoint signing key and prints its public half.
func auditKeygen(args []string, stdout io.Writer) error {
	fs := newFlagSet("audit keygen", os.Stderr)
	out := fs.String("out", "", "file to write the private key to (PEM, mode 0600; must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: mypatients audit keygen --out FILE")
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	private, err := audit.EncodeSigningKey(key)
	if err != nil {
		return err
	}
	public, err := audit.EncodePublicKey(pub)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit keygen: %w", err)
	}
	if _, err := f.Write(private); err != nil {
		f.Close()
		return fmt.Errorf("audit keygen: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit keygen: %w", err)
	}
	_, err = stdout.Write(public)
	return err
}
