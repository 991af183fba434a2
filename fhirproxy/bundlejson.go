package fhirproxy

import (
	"encoding/json"
	"strconv"
)

// The searchset the gateway releases, written as JSON: field order and omissions as
// encoding/json would write outBundle, each resource copied as it is.

// size is about how long the searchset is as JSON, to size its buffer once.
func (b outBundle) size() int {
	n := 256
	for _, l := range b.Link {
		n += len(l.URL) + 32
	}
	for _, e := range b.Entry {
		n += len(e.Resource) + len(e.FullURL) + 64
	}
	return n
}

// appendJSON appends the released searchset to dst: rendered, when releaseSearch wrote it as
// it chose the entries. Each entry's Resource is written as it is: it must be valid JSON,
// which holds for what readSearchset scanned and the scrubber rewrote.
func (b outBundle) appendJSON(dst []byte) []byte {
	if b.rendered != nil {
		return append(dst, b.rendered...)
	}
	dst = b.appendHead(dst)
	for i, e := range b.Entry {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = e.appendEnd(append(e.appendStart(dst), e.Resource...))
	}
	return append(dst, "]}"...)
}

// appendHead appends the searchset up to its first entry.
func (b outBundle) appendHead(dst []byte) []byte {
	dst = append(dst, `{"resourceType":`...)
	dst = appendJSONString(dst, b.ResourceType)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, b.Type)
	if b.Total != nil {
		dst = strconv.AppendInt(append(dst, `,"total":`...), int64(*b.Total), 10)
	}
	dst = append(dst, `,"link":[`...)
	for i, l := range b.Link {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"relation":`...), l.Relation)
		dst = append(appendJSONString(append(dst, `,"url":`...), l.URL), '}')
	}
	return append(dst, `],"entry":[`...)
}

// appendStart appends an entry up to its resource, with encoding/json's field order and
// omissions.
func (e bundleEntry) appendStart(dst []byte) []byte {
	dst = append(dst, '{')
	if e.FullURL != "" {
		dst = append(appendJSONString(append(dst, `"fullUrl":`...), e.FullURL), ',')
	}
	return append(dst, `"resource":`...)
}

// appendEnd appends the rest of an entry after its resource.
func (e bundleEntry) appendEnd(dst []byte) []byte {
	if e.Search != nil {
		sep := byte('{')
		dst = append(dst, `,"search":`...)
		if e.Search.Mode != "" {
			dst = appendJSONString(append(dst, sep, '"', 'm', 'o', 'd', 'e', '"', ':'), e.Search.Mode)
			sep = ','
		}
		if e.Search.Score != nil {
			score, _ := json.Marshal(*e.Search.Score) // a finite float: it came from JSON
			dst = append(append(append(dst, sep), `"score":`...), score...)
			sep = ','
		}
		if sep == '{' {
			dst = append(dst, '{')
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
