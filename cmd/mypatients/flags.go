package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mypatients/gateway/config"
)

// loadConfig reads the configuration from --config, the environment and flags, completes it
// and validates it. Flags win over the environment, which wins over the file.
func loadConfig(fs *flag.FlagSet, args []string, environ []string) (*config.Config, error) {
	path := fs.String("config", "", "YAML configuration file (default: none, run the embedded demo)")
	addr := fs.String("addr", "", "listen address (default "+config.DefaultAddr+")")
	baseURL := fs.String("base-url", "", "public base URL (default http://<addr>)")
	ehrAddr := fs.String("demo-ehr-addr", "", "demo EHR listen address (default "+config.DefaultEHRAddr+")")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	cfg, err := config.Load(*path, environ)
	if err != nil {
		return nil, err
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cfg.Addr, *addr)
	set(&cfg.BaseURL, *baseURL)
	set(&cfg.Demo.EHRAddr, *ehrAddr)
	cfg.Complete()
	if err := errors.Join(cfg.Validate(), cfg.ReadSecretFiles()); err != nil {
		return nil, fmt.Errorf("configuration is not valid:\n%w", err)
	}
	return cfg, nil
}

func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}
