package test

import "strings"

// attackCase is one attack: who sends what, and what the gateway must answer. Paths are below
// the FHIR base and may hold {placeholders} filled from the discovered victims.
type attackCase struct {
	family, name string
	user         string // a demo user, "forged" (a tampered token) or "" (none)
	method       string // GET when empty
	path         string
	header       map[string]string
	body         string // a form body, sent as application/x-www-form-urlencoded
	status       int
	reason       string // the audit record's reason code, when the case pins it
	sameAs       string // a case whose body this one's must equal (no existence oracle)
}

// Families, as THREATS.md names them.
const (
	famAuthz    = "authorization"
	famJoins    = "search-joins"
	famOracles  = "search-oracles"
	famStrict   = "search-leniency"
	famPaging   = "search-paging"
	famProtocol = "protocol"
	famHeaders  = "headers"
	famFormat   = "json-only"
	famLimits   = "limits"
	famSMART    = "smart-tokens"
	famAudit    = "audit"
)

// attackCases is the table; see README "What the FHIR API allows" for why each is refused.
func attackCases() []attackCase {
	many := strings.Repeat("child-01,", 80) + "child-01"
	return []attackCase{
		// Reading another patient's resource directly by id, by version, through history.
		{family: famAuthz, name: "read other patient", user: "pcp", path: "/Patient/child-10", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "vread other patient", user: "pcp", path: "/Patient/child-10/_history/1", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "history of other patient", user: "pcp", path: "/Patient/child-10/_history", status: 403},
		{family: famAuthz, name: "read other's observation", user: "pcp", path: "/Observation/{obs10}", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "vread other's observation", user: "pcp", path: "/Observation/{obs10}/_history/1", status: 403},
		{family: famAuthz, name: "read other's encounter", user: "pcp", path: "/Encounter/{enc10}", status: 403},
		{family: famAuthz, name: "read other's medication request", user: "pcp", path: "/MedicationRequest/{med10}", status: 403},
		{family: famAuthz, name: "read other's note", user: "pcp", path: "/DocumentReference/{doc10}", status: 403},
		{family: famAuthz, name: "read other's note text (Binary)", user: "pcp", path: "/Binary/{bin10}", status: 403},
		{family: famAuthz, name: "read other's report", user: "pcp", path: "/DiagnosticReport/{dr10}", status: 403},
		{family: famAuthz, name: "specialist reads anyone", user: "specialist", path: "/Patient/child-01", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "compartment path", user: "pcp", path: "/Patient/child-10/Observation", status: 403},
		{family: famAuthz, name: "everything operation", user: "pcp", path: "/Patient/child-10/$everything", status: 403},
		{family: famAuthz, name: "read other's allergy", user: "pcp", path: "/AllergyIntolerance/{alg12}", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "vread other's allergy", user: "pcp", path: "/AllergyIntolerance/{alg12}/_history/1", status: 403},
		{family: famAuthz, name: "read other's condition", user: "pcp", path: "/Condition/{cond10}", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "vread other's condition", user: "pcp", path: "/Condition/{cond10}/_history/1", status: 403},
		// Naming another patient in a search, in every reference form, alone or mixed.
		{family: famAuthz, name: "search bare id", user: "pcp", path: "/Observation?patient=child-10", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "search relative", user: "pcp", path: "/Observation?patient=Patient/child-10", status: 403},
		{family: famAuthz, name: "search absolute gateway URL", user: "pcp", path: "/Observation?subject={gw}/Patient/child-10", status: 403},
		{family: famAuthz, name: "search type modifier", user: "pcp", path: "/Encounter?subject:Patient=child-10", status: 403},
		{family: famAuthz, name: "search comma list mixed", user: "pcp", path: "/Observation?patient=child-01,child-10", status: 403},
		{family: famAuthz, name: "search repeated mixed", user: "pcp", path: "/Observation?patient=child-01&patient=child-10", status: 403},
		{family: famAuthz, name: "search subject and patient mixed", user: "pcp", path: "/MedicationRequest?subject=child-01&patient=child-10", status: 403},
		{family: famAuthz, name: "search through identifier modifier", user: "pcp", path: "/Observation?patient:identifier={mrn10}", status: 400},
		{family: famAuthz, name: "search another server's patient", user: "pcp", path: "/Encounter?patient=http://evil.example/fhir/Patient/child-10", status: 400},
		{family: famAuthz, name: "search urn reference", user: "pcp", path: "/Observation?patient=urn:uuid:2b3c", status: 400},
		{family: famAuthz, name: "search versioned reference", user: "pcp", path: "/Observation?patient=Patient/child-01/_history/1", status: 400},
		{family: famAuthz, name: "search group subject", user: "pcp", path: "/Observation?subject=Group/everyone", status: 403},
		{family: famAuthz, name: "search naming no patient", user: "pcp", path: "/Observation?code=2345-7", status: 403, reason: "no_patient_named"},
		{family: famAuthz, name: "search naming nothing", user: "pcp", path: "/DocumentReference", status: 403},
		{family: famAuthz, name: "performer compartment param", user: "pcp", path: "/Observation?patient=child-01&performer=Patient/child-10", status: 403},
		{family: famAuthz, name: "performer ambiguous bare id", user: "pcp", path: "/Observation?patient=child-01&performer=child-10", status: 400},
		{family: famAuthz, name: "author compartment param", user: "pcp", path: "/DocumentReference?author=Patient/child-10", status: 403},
		{family: famAuthz, name: "allergy search other patient", user: "pcp", path: "/AllergyIntolerance?patient=child-12", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "allergy search absolute URL", user: "pcp", path: "/AllergyIntolerance?patient={gw}/Patient/child-12", status: 403},
		{family: famAuthz, name: "allergy search type modifier", user: "pcp", path: "/AllergyIntolerance?patient:Patient=child-12", status: 403},
		{family: famAuthz, name: "allergy search comma list mixed", user: "pcp", path: "/AllergyIntolerance?patient=child-01,child-12", status: 403},
		{family: famAuthz, name: "allergy search repeated mixed", user: "pcp", path: "/AllergyIntolerance?patient=child-01&patient=child-12", status: 403},
		{family: famAuthz, name: "allergy search naming no patient", user: "pcp", path: "/AllergyIntolerance?criticality=high", status: 403, reason: "no_patient_named"},
		{family: famAuthz, name: "allergy search by token only", user: "pcp", path: "/AllergyIntolerance?clinical-status=active&verification-status=confirmed&category=food&type=allergy&code=x&date=ge2020-01-01", status: 403, reason: "no_patient_named"},
		{family: famAuthz, name: "allergy subject is not its parameter", user: "pcp", path: "/AllergyIntolerance?subject=child-01", status: 400},
		{family: famAuthz, name: "allergy recorder is not searchable", user: "pcp", path: "/AllergyIntolerance?patient=child-01&recorder=Patient/child-12", status: 400},
		{family: famAuthz, name: "allergy asserter is not searchable", user: "pcp", path: "/AllergyIntolerance?patient=child-01&asserter=Patient/child-12", status: 400},
		{family: famAuthz, name: "allergy patient identifier modifier", user: "pcp", path: "/AllergyIntolerance?patient:identifier={mrn10}", status: 400},
		{family: famAuthz, name: "condition search other patient", user: "pcp", path: "/Condition?patient=child-10", status: 403, reason: "not_pcp"},
		{family: famAuthz, name: "condition search subject other patient", user: "pcp", path: "/Condition?subject=Patient/child-10", status: 403},
		{family: famAuthz, name: "condition search subject and patient mixed", user: "pcp", path: "/Condition?subject=child-01&patient=child-10", status: 403},
		{family: famAuthz, name: "condition search naming no patient", user: "pcp", path: "/Condition?clinical-status=active&category=problem-list-item", status: 403, reason: "no_patient_named"},
		{family: famAuthz, name: "condition search by encounter only", user: "pcp", path: "/Condition?encounter={enc10}", status: 403, reason: "no_patient_named"},
		{family: famAuthz, name: "condition encounter naming a patient", user: "pcp", path: "/Condition?patient=child-01&encounter=Patient/child-10", status: 403},
		{family: famAuthz, name: "condition asserter is not searchable", user: "pcp", path: "/Condition?patient=child-01&asserter=Patient/child-10", status: 400},
		{family: famAuthz, name: "condition dates by prefix only", user: "pcp", path: "/Condition?patient=child-01&onset-date=xx2020&recorded-date=ge2020", status: 400},
		{family: famAuthz, name: "patient _id", user: "pcp", path: "/Patient?_id=child-10", status: 403},
		{family: famAuthz, name: "patient _id mixed", user: "pcp", path: "/Patient?_id=child-01,child-10", status: 403},
		{family: famAuthz, name: "POST _search other patient", user: "pcp", method: "POST", path: "/Observation/_search", body: "patient=child-10", status: 403},
		{family: famAuthz, name: "POST _search mixed URL and body", user: "pcp", method: "POST", path: "/Observation/_search?patient=child-01", body: "patient=child-10", status: 403},
		{family: famAuthz, name: "Provenance points into compartment", user: "pcp", path: "/Provenance?patient=child-10", status: 403},
		{family: famAuthz, name: "List", user: "pcp", path: "/List?subject=child-10", status: 403},
		{family: famAuthz, name: "CareTeam", user: "pcp", path: "/CareTeam?patient=child-10", status: 403},
		{family: famAuthz, name: "RelatedPerson", user: "pcp", path: "/RelatedPerson?patient=child-10", status: 403},
		{family: famAuthz, name: "Binary search", user: "pcp", path: "/Binary?_id={bin10}", status: 403},
		{family: famAuthz, name: "broad patient search finds only own", user: "pcp", path: "/Patient?identifier={mrn10}", status: 200},
		{family: famAuthz, name: "broad patient search by name", user: "pcp", path: "/Patient?gender=female,male&_count=100", status: 200},
		// What a clinician may do still works (the suite must not pass by refusing everything).
		{family: famAuthz, name: "own note text (Binary)", user: "pcp", path: "/Binary/{bin01}", status: 200},
		{family: famAuthz, name: "own note", user: "pcp", path: "/DocumentReference/{doc01}", status: 200},
		{family: famAuthz, name: "own allergy", user: "pcp", path: "/AllergyIntolerance/{alg01}", status: 200},
		{family: famAuthz, name: "own allergies by every vetted parameter", user: "pcp", path: "/AllergyIntolerance?patient=child-05&clinical-status=active&criticality=high&category=food&type=allergy&date=ge2020-01-01", status: 200},
		{family: famAuthz, name: "own conditions by every vetted parameter", user: "pcp", path: "/Condition?patient=child-01&clinical-status=active&verification-status=confirmed&category=problem-list-item&onset-date=ge2000&recorded-date=le2030", status: 200},
		{family: famJoins, name: "allergy with its patient", user: "pcp", path: "/AllergyIntolerance?patient=child-01&_include=AllergyIntolerance:patient", status: 200},
		{family: famJoins, name: "allergy unvetted include", user: "pcp", path: "/AllergyIntolerance?patient=child-01&_include=AllergyIntolerance:recorder", status: 400},
		{family: famJoins, name: "condition unvetted include", user: "pcp", path: "/Condition?patient=child-01&_include=Condition:encounter", status: 400},
		{family: famJoins, name: "condition chained", user: "pcp", path: "/Condition?subject.identifier={mrn10}", status: 400},
		{family: famJoins, name: "allergy reverse chain", user: "pcp", path: "/Patient?_has:AllergyIntolerance:patient:criticality=high", status: 400},
		{family: famOracles, name: "allergy summary count", user: "pcp", path: "/AllergyIntolerance?patient=child-12&_summary=count", status: 400},
		{family: famOracles, name: "missing allergy", user: "pcp", path: "/AllergyIntolerance/no-such-allergy", status: 403},
		{family: famOracles, name: "existing allergy, same answer", user: "pcp", path: "/AllergyIntolerance/{alg12}", status: 403, sameAs: "missing allergy"},
		{family: famOracles, name: "missing condition", user: "pcp", path: "/Condition/no-such-condition", status: 403},
		{family: famOracles, name: "existing condition, same answer", user: "pcp", path: "/Condition/{cond10}", status: 403, sameAs: "missing condition"},
		{family: famAuthz, name: "directory read", user: "specialist", path: "/Practitioner/dr-lindqvist", status: 200},
		{family: famAuthz, name: "directory search with include", user: "pcp", path: "/PractitionerRole?organization=practice-harbor&_include=PractitionerRole:practitioner", status: 200},
		{family: famJoins, name: "report with its results", user: "pcp", path: "/DiagnosticReport?patient=child-01&_include=DiagnosticReport:result", status: 200},
		{family: famAuthz, name: "POST _search own patient", user: "pcp", method: "POST", path: "/Observation/_search", body: "patient=child-01&_count=2", status: 200},
		// Joins: _include, _revinclude, :iterate, chains, _has.
		{family: famJoins, name: "include on other patient", user: "pcp", path: "/Observation?patient=child-10&_include=Observation:subject", status: 403},
		{family: famJoins, name: "vetted include on own patient", user: "pcp", path: "/Observation?patient=child-01&_include=Observation:patient&_include=Observation:performer", status: 200},
		{family: famJoins, name: "revinclude", user: "pcp", path: "/Patient?_id=child-01&_revinclude=Observation:subject", status: 400},
		{family: famJoins, name: "include iterate", user: "pcp", path: "/Observation?patient=child-01&_include:iterate=Observation:subject", status: 400},
		{family: famJoins, name: "unvetted include", user: "pcp", path: "/Observation?patient=child-01&_include=Observation:encounter:Patient", status: 400},
		{family: famJoins, name: "wildcard include", user: "pcp", path: "/Observation?patient=child-01&_include=*", status: 400},
		{family: famJoins, name: "include from another type", user: "pcp", path: "/Observation?patient=child-01&_include=Encounter:patient", status: 400},
		{family: famJoins, name: "chained parameter", user: "pcp", path: "/Observation?subject.identifier={mrn10}", status: 400},
		{family: famJoins, name: "chained typed parameter", user: "pcp", path: "/Encounter?patient=child-01&subject:Patient.name=x", status: 400},
		{family: famJoins, name: "reverse chain", user: "pcp", path: "/Patient?_has:Observation:patient:code=2345-7", status: 400},
		// Oracles: totals, counts, empty-versus-denied, error text.
		{family: famOracles, name: "summary count", user: "pcp", path: "/Observation?patient=child-10&_summary=count", status: 400},
		{family: famOracles, name: "total accurate", user: "pcp", path: "/Patient?_total=accurate", status: 400},
		{family: famOracles, name: "count zero", user: "pcp", path: "/Patient?name=a&_count=0", status: 400},
		{family: famOracles, name: "missing observation", user: "pcp", path: "/Observation/does-not-exist-1", status: 403},
		{family: famOracles, name: "existing observation, same answer", user: "pcp", path: "/Observation/{obs10}", status: 403, sameAs: "missing observation"},
		{family: famOracles, name: "missing patient", user: "pcp", path: "/Patient/child-99", status: 403},
		{family: famOracles, name: "existing patient, same answer", user: "pcp", path: "/Patient/child-11", status: 403, sameAs: "missing patient"},
		{family: famOracles, name: "missing binary", user: "pcp", path: "/Binary/no-such-binary", status: 403},
		{family: famOracles, name: "existing binary, same answer", user: "pcp", path: "/Binary/{bin10}", status: 403, sameAs: "missing binary"},
		// The upstream's leniency: nothing unparsed reaches it.
		{family: famStrict, name: "unknown parameter", user: "pcp", path: "/Observation?patient=child-01&foo=bar", status: 400},
		{family: famStrict, name: "unknown result parameter", user: "pcp", path: "/Observation?patient=child-01&_filter=subject%20eq%20child-10", status: 400},
		{family: famStrict, name: "unvetted modifier", user: "pcp", path: "/Observation?patient=child-01&code:not=x", status: 400},
		{family: famStrict, name: "missing modifier", user: "pcp", path: "/Observation?patient:missing=true", status: 400},
		{family: famStrict, name: "unknown date prefix", user: "pcp", path: "/Observation?patient=child-01&date=xx2020", status: 400},
		{family: famStrict, name: "elements", user: "pcp", path: "/Patient/child-01?_elements=id", status: 400},
		{family: famStrict, name: "parameter of another type", user: "pcp", path: "/Practitioner?patient=child-10", status: 400},
		// Paging: links point at the gateway and belong to whoever made the search.
		{family: famPaging, name: "own next link", user: "pcp", path: "{next01}", status: 200},
		{family: famPaging, name: "next link replayed by colleague", user: "colleague", path: "{next01}", status: 403, reason: "page_link_not_yours"},
		{family: famPaging, name: "next link tampered", user: "pcp", path: "{next01tampered}", status: 403, reason: "page_link_not_yours"},
		{family: famPaging, name: "forged page token", user: "pcp", path: "/Observation?patient=child-01&_page=AAAA", status: 403},
		// Protocol: only reads reach the upstream, whatever the method, override or path.
		{family: famProtocol, name: "POST resource", user: "pcp", method: "POST", path: "/Patient/child-01", status: 405},
		{family: famProtocol, name: "PUT", user: "pcp", method: "PUT", path: "/Patient/child-01", status: 405},
		{family: famProtocol, name: "DELETE", user: "pcp", method: "DELETE", path: "/Patient/child-01", status: 405},
		{family: famProtocol, name: "PATCH", user: "pcp", method: "PATCH", path: "/Patient/child-01", status: 405},
		{family: famProtocol, name: "POST transaction", user: "pcp", method: "POST", path: "/", status: 405},
		{family: famProtocol, name: "override header", user: "pcp", path: "/Patient/child-01", header: map[string]string{"X-HTTP-Method-Override": "DELETE"}, status: 400},
		{family: famProtocol, name: "override on POST _search", user: "pcp", method: "POST", path: "/Observation/_search", body: "patient=child-01", header: map[string]string{"X-Http-Method": "PUT"}, status: 400},
		{family: famProtocol, name: "type case", user: "pcp", path: "/patient/child-10", status: 403},
		{family: famProtocol, name: "encoded slash", user: "pcp", path: "/Patient%2Fchild-10", status: 400},
		{family: famProtocol, name: "encoded dot segments", user: "pcp", path: "/Patient/child-01/%2e%2e/child-10", status: 400},
		{family: famProtocol, name: "dot segment", user: "pcp", path: "/Patient/./child-10", status: 400},
		{family: famProtocol, name: "double slash", user: "pcp", path: "//Patient/child-10", status: 400},
		{family: famProtocol, name: "GET with a body", user: "pcp", path: "/Patient/child-01", body: "x=1", status: 400},
		{family: famAudit, name: "log injection in path", user: "pcp", path: "/Patient/child-01%0A%7B%22decision%22%3A%22allow%22%7D", status: 400},
		// Headers never speak for the gateway.
		{family: famHeaders, name: "forwarded identity headers", user: "pcp", path: "/Patient/child-10",
			header: map[string]string{"X-Forwarded-User": "pcp2", "X-Remote-User": "pcp2", "X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"}, status: 403},
		{family: famHeaders, name: "hop-by-hop drop of Authorization", user: "pcp", path: "/Patient/child-10",
			header: map[string]string{"Connection": "Authorization, X-Request-Id", "X-Request-Id": "forged-id"}, status: 403},
		{family: famHeaders, name: "client Prefer lenient", user: "pcp", path: "/Observation?patient=child-01&bogus=1", header: map[string]string{"Prefer": "handling=lenient"}, status: 400},
		// Only JSON.
		{family: famFormat, name: "Accept XML", user: "pcp", path: "/Patient/child-01", header: map[string]string{"Accept": "application/fhir+xml"}, status: 406},
		{family: famFormat, name: "_format xml", user: "pcp", path: "/Patient/child-01?_format=xml", status: 406},
		{family: famFormat, name: "_format fhir+xml on search", user: "pcp", path: "/Observation?patient=child-10&_format=application/fhir%2Bxml", status: 406},
		{family: famFormat, name: "XML body on POST _search", user: "pcp", method: "POST", path: "/Observation/_search",
			header: map[string]string{"Content-Type": "application/fhir+xml"}, status: 415},
		// Limits on parameter count, sizes and _count.
		{family: famLimits, name: "too many values", user: "pcp", path: "/Observation?patient=" + many, status: 400},
		{family: famLimits, name: "query too long", user: "pcp", path: "/Patient?name=" + strings.Repeat("a", 5000), status: 400},
		{family: famLimits, name: "form body too large", user: "pcp", method: "POST", path: "/Patient/_search", body: "name=" + strings.Repeat("a", 5000), status: 413},
		{family: famLimits, name: "count over the cap", user: "pcp", path: "/Observation?patient=child-01&_count=100000", status: 200},
		{family: famLimits, name: "count not a number", user: "pcp", path: "/Observation?patient=child-01&_count=1e9", status: 400},
		// Tokens: only a valid bearer token in the Authorization header.
		{family: famSMART, name: "no token", path: "/Patient/child-01", status: 401, reason: "unauthenticated"},
		{family: famSMART, name: "forged token", user: "forged", path: "/Patient/child-01", status: 401, reason: "invalid_token"},
		{family: famSMART, name: "token in the URL", path: "/Patient/child-01?access_token=x", status: 401},
		{family: famSMART, name: "basic auth", path: "/Patient/child-01", header: map[string]string{"Authorization": "Basic cGNwOnBjcA=="}, status: 401},
	}
}
