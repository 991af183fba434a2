package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/mypatients/gateway/audit"
	"github.com/mypatients/gateway/audit/auditevent"
)

const auditUsage = `usage: mypatients audit [list] [-n N]             print the records as JSON lines, oldest first
       mypatients audit patient ID [--all] [flags]    every access to a patient: the accounting of disclosures
       mypatients audit user ID [flags]               everything a user did
       mypatients audit refusals [flags]              every refusal, with its reason
       mypatients audit export [flags]                NDJSON of FHIR AuditEvent (with patient, user or refusals flags: their answer)
       mypatients audit verify [--keys FILE|URL]      check the hash chain and its signed checkpoints
       mypatients audit status                        the forwarder's and the checkpoints' progress
       mypatients audit keygen --out FILE             write a new checkpoint signing key, print its public key
  flags: --from, --to (a date or an RFC 3339 time, UTC), --format text|json|auditevent, --by (who asks),
         --config, --redis-url (as for the other commands)`

// auditCommand is the auditors' entry point: the trail's questions, its export, its
// verification and the forwarder's status. The flags are read here; the answers are package
// audit's and its subpackages'.
func auditCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return auditList(ctx, args, stdout, environ)
	case "patient", "user", "refusals", "export":
		return auditQuestion(ctx, sub, args, stdout, environ)
	case "verify":
		return auditVerify(ctx, args, stdout, environ)
	case "status":
		return auditStatus(ctx, args, stdout, environ)
	case "keygen":
		return auditKeygen(args, stdout)
	}
	return errors.New(auditUsage)
}

// auditList prints the records as JSON lines, oldest first.
func auditList(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	fs := newFlagSet("audit", os.Stderr)
	store := addStoreFlags(fs)
	count := fs.Int64("n", 0, "print only the newest N records, oldest first (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, trail, done, err := store.openTrail(ctx, environ)
	if err != nil {
		return err
	}
	defer done()
	records, err := trail.Records(ctx, *count)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, r := range records {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// questionFlags are the flags of the questions and the export.
type questionFlags struct {
	store          storeFlags
	from, to, by   *string
	format         *string
	all            *bool
	patient, user  *string
	refusals       *bool
	positionalName string
}

func parseQuestion(sub string, args []string) (questionFlags, audit.Filter, error) {
	fs := newFlagSet("audit "+sub, os.Stderr)
	q := questionFlags{store: addStoreFlags(fs),
		from: fs.String("from", "", "from this time on (a date or RFC 3339; UTC)"), to: fs.String("to", "", "before this time"),
		by:      fs.String("by", os.Getenv("USER"), "who is asking, for the audit trail"),
		format:  fs.String("format", "text", "text, json (the records) or auditevent (NDJSON of FHIR AuditEvent)"),
		all:     fs.Bool("all", false, "with patient: every record naming the patient, not only those that released data"),
		patient: fs.String("patient", "", "with export: the patient's accesses"), user: fs.String("user", "", "with export: the user's actions"),
		refusals: fs.Bool("refusals", false, "with export: the refusals")}
	// A patient or user id may come before or after the flags.
	if err := fs.Parse(args); err != nil {
		return q, audit.Filter{}, err
	}
	if fs.NArg() > 0 {
		q.positionalName = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return q, audit.Filter{}, err
		}
	}
	if fs.NArg() > 0 {
		return q, audit.Filter{}, errors.New(auditUsage)
	}
	f, err := q.filter(sub)
	return q, f, err
}

// filter is the trail's filter for the question sub.
func (q questionFlags) filter(sub string) (audit.Filter, error) {
	var f audit.Filter
	var err error
	if f.From, err = audit.ParseTime(*q.from); err != nil {
		return f, fmt.Errorf("audit: --from: %w", err)
	}
	if f.To, err = audit.ParseTime(*q.to); err != nil {
		return f, fmt.Errorf("audit: --to: %w", err)
	}
	switch sub {
	case "patient":
		f.Patient, f.AllAboutPatient = q.positionalName, *q.all
	case "user":
		f.User = q.positionalName
	case "refusals":
		f.Refusals = true
	case "export":
		f.Patient, f.AllAboutPatient, f.User, f.Refusals = *q.patient, *q.all, *q.user, *q.refusals
		*q.format = "auditevent"
	}
	switch {
	case (sub == "patient" || sub == "user") && q.positionalName == "":
		return f, fmt.Errorf("usage: mypatients audit %s ID [flags]", sub)
	case sub != "export" && sub != "patient" && sub != "user" && q.positionalName != "":
		return f, errors.New(auditUsage)
	case !slices.Contains([]string{"text", "json", "auditevent"}, *q.format):
		return f, errors.New("audit: --format is text, json or auditevent")
	}
	return f, nil
}

// describe is the question as the record of its asking says it.
func (q questionFlags) describe(sub string, f audit.Filter) string {
	v := url.Values{"q": {sub}}
	for k, s := range map[string]string{"patient": f.Patient, "user": f.User, "from": *q.from, "to": *q.to} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Refusals {
		v.Set("refusals", "true")
	}
	return v.Encode()
}

// auditQuestion answers one of the auditors' questions, after recording that it was asked.
func auditQuestion(ctx context.Context, sub string, args []string, stdout io.Writer, environ []string) error {
	q, f, err := parseQuestion(sub, args)
	if err != nil {
		return err
	}
	cfg, trail, done, err := q.store.openTrail(ctx, environ)
	if err != nil {
		return err
	}
	defer done()
	// The question, never the command line: --redis-url may hold a password.
	asked := audit.Action{Event: "audit.query", Actor: *q.by, Client: "mypatients-cli", Outcome: audit.Success, Query: q.describe(sub, f)}
	if sub == "export" {
		asked.Event = "audit.export"
	}
	if f.Patient != "" {
		asked.Patients = []string{f.Patient}
	}
	if err := audit.WriteAction(ctx, trail, asked); err != nil {
		return fmt.Errorf("audit: the question could not be recorded in the trail, so it is not answered: %w", err)
	}
	out := newAnswer(stdout, *q.format, auditevent.New(cfg.BaseURL))
	err = trail.Scan(ctx, f.Range, func(e audit.Entry, r audit.Record) bool {
		return !f.Match(r) || out.add(e, r) == nil
	})
	return errors.Join(err, out.flush())
}
