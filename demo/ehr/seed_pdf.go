package ehr

import (
	"bytes"
	"fmt"
	"time"
)

// PDF layout: US Letter, one-inch margins less a little, 10-point Helvetica on 12-point lines.
const (
	pdfWidth, pdfHeight = 612, 792
	pdfMargin           = 54
	pdfLeading          = 12
	pdfLinesPerPage     = (pdfHeight - 2*pdfMargin) / pdfLeading
	pdfLineChars        = 92
)

// pdf writes lines of text as a small, valid PDF 1.4 file: a catalog, a page tree, two
// standard fonts (no embedding needed), one page and content stream per 57 lines, an
// information dictionary, and a cross-reference table with the true byte offset of every
// object. The first line is set in bold. Text is encoded as WinAnsi, the standard fonts'
// encoding, so that names such as "Sofía Muñoz" print as written.
func pdf(title string, lines []string, created time.Time) []byte {
	var pages [][]string
	for len(lines) > pdfLinesPerPage {
		pages = append(pages, lines[:pdfLinesPerPage])
		lines = lines[pdfLinesPerPage:]
	}
	pages = append(pages, lines)

	// Objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 info, then a page and its content
	// stream per page.
	var objects [][]byte
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 6+2*i)
	}
	objects = append(objects,
		[]byte("<< /Type /Catalog /Pages 2 0 R >>"),
		fmt.Appendf(nil, "<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)),
		[]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
		[]byte("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"),
		fmt.Appendf(nil, "<< /Title (%s) /Producer (MyPatients demo EHR) /CreationDate (D:%s) >>",
			pdfString(title), inHospitalZone(created).Format("20060102150405-07'00'")),
	)
	for i, page := range pages {
		stream := pageStream(page, i == 0)
		objects = append(objects,
			fmt.Appendf(nil, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
				pdfWidth, pdfHeight, 7+2*i),
			append(fmt.Appendf(nil, "<< /Length %d >>\nstream\n", len(stream)), append(stream, "\nendstream"...)...),
		)
	}
	return pdfFile(objects)
}

// pageStream is the content stream that sets one page's lines.
func pageStream(lines []string, first bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "BT\n/F1 10 Tf\n%d TL\n%d %d Td\n", pdfLeading, pdfMargin, pdfHeight-pdfMargin)
	for i, l := range lines {
		if first && i == 0 {
			fmt.Fprintf(&b, "/F2 12 Tf\n(%s) Tj\n/F1 10 Tf\nT*\n", pdfString(l))
			continue
		}
		fmt.Fprintf(&b, "(%s) Tj\nT*\n", pdfString(l))
	}
	b.WriteString("ET")
	return b.Bytes()
}

// pdfFile numbers the objects from 1, writes them with the header, the cross-reference
// table (each entry exactly 20 bytes) and the trailer.
func pdfFile(objects [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		b.Write(o)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfString encodes s for a PDF literal string in WinAnsi: backslash and parentheses are
// escaped, Latin-1 letters kept, typographic punctuation mapped, anything else replaced.
func pdfString(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x80 || (r >= 0xa0 && r <= 0xff):
			b.WriteByte(byte(r))
		default:
			b.WriteByte(winAnsi(r))
		}
	}
	return b.String()
}

// winAnsi maps the punctuation the notes use to its WinAnsi byte.
func winAnsi(r rune) byte {
	switch r {
	case '–':
		return 0x96
	case '—':
		return 0x97
	case '‘':
		return 0x91
	case '’':
		return 0x92
	case '“':
		return 0x93
	case '”':
		return 0x94
	case '•':
		return 0x95
	}
	return '?'
}
