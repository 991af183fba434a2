package registration

import "testing"

func TestValidNPI(t *testing.T) {
	t.Parallel()
	for npi, ok := range map[string]bool{
		"1234567893": true, // CMS's worked example
		"1200000127": true, // the demo EHR's dr-outside
		"1234567890": false, "123456789": false, "12345678931": false, "12345678a3": false, "": false,
	} {
		if got := ValidNPI(npi); got != ok {
			t.Errorf("ValidNPI(%q) = %v, want %v", npi, got, ok)
		}
	}
}
