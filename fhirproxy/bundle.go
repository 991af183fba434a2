package fhirproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The upstream's searchset, read, and the gateway's, written. This is the part of the search
// filter that touches Bundle JSON; filter.go decides what of it is released.

// maxEntries bounds the entries of one upstream page, includes and outcomes together.
const maxEntries = 5000

// searchHead is the part of an upstream searchset outside its entries.
type searchHead struct {
	ResourceType string
	Type         string
	Total        *int
	Link         []bundleLink
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// bundleEntry is one entry, read from the upstream and written to the client. Fields not
// listed (request, response, unknown extensions of the entry) are dropped.
type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource"`
	Search   *entrySearch    `json:"search,omitempty"`
}

type entrySearch struct {
	Mode  string   `json:"mode,omitempty"`
	Score *float64 `json:"score,omitempty"`
}

// outBundle is the searchset the proxy releases.
type outBundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link"`
	Entry        []bundleEntry `json:"entry"`
}

// decodeSearchset reads an upstream searchset: the Bundle's members token by token and its
// entries one at a time, each handed to onEntry, so the whole Bundle is never held as a
// generic value. Repeated members (two "entry" arrays, two
// "total"s) make the answer unusable: parsers disagree on which one counts.
func decodeSearchset(body []byte, onEntry func(bundleEntry) error) (searchHead, error) {
	var head searchHead
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return head, fmt.Errorf("searchset: not a JSON object (%v)", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return head, fmt.Errorf("searchset: %w", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return head, fmt.Errorf("searchset member %q: %w", clip(key), errDuplicateKey)
		}
		seen[key] = true
		if err := head.decodeMember(dec, key, onEntry); err != nil {
			return head, fmt.Errorf("searchset member %q: %w", clip(key), err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return head, fmt.Errorf("searchset end: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return head, errors.New("searchset: trailing data")
	}
	if head.ResourceType != "Bundle" || head.Type != "searchset" {
		return head, fmt.Errorf("searchset: got %q of type %q", clip(head.ResourceType), clip(head.Type))
	}
	return head, nil
}

// decodeMember reads the value of the searchset's member key.
func (head *searchHead) decodeMember(dec *json.Decoder, key string, onEntry func(bundleEntry) error) error {
	switch key {
	case "resourceType":
		return dec.Decode(&head.ResourceType)
	case "type":
		return dec.Decode(&head.Type)
	case "total":
		return dec.Decode(&head.Total)
	case "link":
		return dec.Decode(&head.Link)
	case "entry":
		return decodeEntries(dec, onEntry)
	}
	var skip json.RawMessage // id, meta, timestamp, signature...: not released
	return dec.Decode(&skip)
}

// decodeEntries reads the entry array one entry at a time.
func decodeEntries(dec *json.Decoder, onEntry func(bundleEntry) error) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("entry is not an array (%v)", err)
	}
	for n := 0; dec.More(); n++ {
		if n >= maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		var e bundleEntry
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("entry %d: %w", n, err)
		}
		if err := onEntry(e); err != nil {
			return fmt.Errorf("entry %d: %w", n, err)
		}
	}
	_, err := dec.Token()
	return err
}
