package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/mypatients/gateway/fhirproxy"
	"github.com/mypatients/gateway/sharing"
	"github.com/mypatients/gateway/upstream/ehrcheck"
)

// ehrCommand probes the configured EHR for what the gateway relies on and says what is
// missing; it exits non-zero when anything required is.
func ehrCommand(ctx context.Context, args []string, stdout io.Writer, environ []string) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: mypatients ehr check [--config FILE]")
	}
	fs := newFlagSet("ehr check", os.Stderr)
	cfg, err := loadConfig(fs, args[1:], environ)
	if err != nil {
		return err
	}
	if cfg.Upstream.URL == "" {
		return errors.New("ehr check: upstream.url is not configured")
	}
	up, err := newUpstream(ctx, cfg, nil)
	if err != nil {
		return err
	}
	systems := map[string]string{}
	for _, p := range cfg.IdentityProviders {
		if p.Practitioner.IdentifierSystem != "" {
			systems[p.ID] = p.Practitioner.IdentifierSystem
		}
	}
	found, err := ehrcheck.Run(ctx, ehrcheck.Options{Upstream: up, Served: fhirproxy.Served(),
		MRNSystem: sharing.MRNSystem, PortalExtension: sharing.PortalAccountExtension, IdentifierSystems: systems})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "EHR %s\n", up.Base())
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	counts := map[string]int{}
	for _, f := range found {
		counts[f.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Status, f.Item, f.Detail)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d ok, %d missing, %d warnings\n", counts[ehrcheck.OK], counts[ehrcheck.Missing], counts[ehrcheck.Warn])
	if ehrcheck.AnyMissing(found) {
		return errors.New("ehr check: the EHR does not provide everything the gateway relies on (see README, What your EHR must provide)")
	}
	return nil
}
