package ehr

import "strings"

// visitKind is the kind of encounter a visit becomes.
type visitKind int

const (
	inpatient visitKind = iota
	specialty
	emergency
)

// unitStay is one part of a hospital stay: the department whose unit the child was on, its
// attending and the number of days (0: the rest of the stay).
type unitStay struct {
	dept, attending string
	days            int
}

// narrative is the richer text of a showcase note; generated notes use visit.course alone.
type narrative struct {
	hpi      string
	course   []string
	exam     string
	plan     []string
	followUp []string
	pending  string
}

// visit is one encounter of a clinical story, dated relative to the reference date.
type visit struct {
	kind visitKind
	// daysAgo dates the visit back from the reference date; dayOfLife, when set, dates it
	// forward from the child's birth instead.
	daysAgo, dayOfLife int
	// stay is the length of an inpatient admission in days.
	stay int
	// fromED starts the visit right after the previous one: an ED visit that ended in
	// admission. current marks a stay still in progress on the reference date; fixed dates a
	// visit exactly, without the child's jitter.
	fromED, current, fixed bool
	dept, clinician        string
	consultant             string
	// units are the units of a stay in order; nil means the department's own unit throughout.
	units []unitStay
	// admitSource and disposition are HL7 admit-source and discharge-disposition codes; ""
	// takes the usual one for the kind of visit.
	admitSource, disposition string
	typ, reason              code
	// dx names the visit's diagnoses (keys of conditionCatalog), the principal one first.
	dx   []string
	sick sick
	// labs are drawn on arrival, midLabs the next morning and endLabs on the morning of
	// discharge; cxr is the conclusion of a chest X-ray taken on arrival.
	labs, midLabs, endLabs []string
	cxr                    string
	meds                   []med
	course                 string
	story                  *narrative
	// format is the content type of the visit's main note ("text", "html" or "pdf"; "" takes
	// the kind's usual one); hostile puts markup a sanitizer must remove into its HTML
	// progress note.
	format  string
	hostile bool
}

// profile is a clinical story: its visits, the conditions they diagnose and the lab values that
// make its trends. series holds, per LOINC code, the successive values drawn (a little noise is
// added per patient unless exact); results holds the successive results of qualitative tests.
// Codes without a series get a value inside the reference range. exact stories (the showcase
// children) keep their values and dates as written; growth adds the well-child measurements.
type profile struct {
	series  map[string][]float64
	results map[string][]string
	visits  []visit
	exact   bool
	growth  bool
	// onsetAge dates, in years of age, the onset of conditions diagnosed before the first
	// visit that names them (asthma diagnosed by the PCP years before its first admission).
	onsetAge map[string]float64
}

// condition is a diagnosis of the catalog: SNOMED CT and ICD-10-CM codes, the clinician's
// wording, whether it is a lasting problem (problem list, active) or an episode that resolves
// some days after the last visit naming it.
type condition struct {
	snomed, icd code
	text        string
	chronic     bool
	resolveDays int
}

// conditionCatalog returns the diagnoses the stories use, by key. A story names a second
// episode of the same illness as "key#2": its own Condition with the same codes.
func conditionCatalog() map[string]condition {
	icd := func(c, display string) code { return code{sysICD10CM, c, display} }
	return map[string]condition{
		"asthma":              {sct("195967001", "Asthma"), icd("J45.40", "Moderate persistent asthma, uncomplicated"), "Moderate persistent asthma", true, 0},
		"asthma-exacerbation": {sct("281239006", "Exacerbation of asthma"), icd("J45.41", "Moderate persistent asthma with (acute) exacerbation"), "Asthma exacerbation", false, 10},
		"status-asthmaticus":  {sct("57546000", "Asthma with status asthmaticus"), icd("J45.42", "Moderate persistent asthma with status asthmaticus"), "Status asthmaticus", false, 10},
		"viral-uri":           {sct("54150009", "Upper respiratory infection"), icd("J06.9", "Acute upper respiratory infection, unspecified"), "Viral upper respiratory infection", false, 7},
		"hypokalemia":         {sct("43339004", "Hypokalemia"), icd("E87.6", "Hypokalemia"), "Hypokalemia (beta-agonist related)", false, 0},
		"pneumonia":           {sct("385093006", "Community acquired pneumonia"), icd("J18.9", "Pneumonia, unspecified organism"), "Community-acquired pneumonia, right lower lobe", false, 14},
		"t1d":                 {sct("46635009", "Type 1 diabetes mellitus"), icd("E10.9", "Type 1 diabetes mellitus without complications"), "Type 1 diabetes mellitus", true, 0},
		"dka":                 {sct("420422005", "Diabetic ketoacidosis"), icd("E10.10", "Type 1 diabetes mellitus with ketoacidosis without coma"), "Diabetic ketoacidosis, new-onset type 1 diabetes", false, 2},
		"hypoglycemia":        {sct("302866003", "Hypoglycemia"), icd("E10.649", "Type 1 diabetes mellitus with hypoglycemia without coma"), "Hypoglycemia (insulin-treated diabetes)", false, 0},
		"adhd":                {sct("406506008", "Attention deficit hyperactivity disorder"), icd("F90.2", "Attention-deficit hyperactivity disorder, combined type"), "ADHD, combined presentation", true, 0},
		"murmur":              {sct("88610006", "Heart murmur"), icd("R01.0", "Benign and innocent cardiac murmurs"), "Innocent (Still's) murmur", false, 0},
		"forearm-fracture":    {sct("65966004", "Fracture of forearm"), icd("S52.501A", "Unspecified fracture of the lower end of right radius, initial encounter for closed fracture"), "Non-displaced distal radius fracture, right", false, 42},
		"dehydration":         {sct("34095006", "Dehydration"), icd("E86.0", "Dehydration"), "Moderate dehydration", false, 3},
		"gastroenteritis":     {sct("25374005", "Gastroenteritis"), icd("A08.4", "Viral intestinal infection, unspecified"), "Viral gastroenteritis", false, 7},
		"svt":                 {sct("6456007", "Supraventricular tachycardia"), icd("I47.1", "Supraventricular tachycardia"), "Supraventricular tachycardia (AV nodal reentry)", true, 0},
		"hypothyroidism":      {sct("40930008", "Hypothyroidism"), icd("E06.3", "Autoimmune thyroiditis"), "Hypothyroidism due to Hashimoto thyroiditis", true, 0},
		"neonatal-jaundice":   {sct("387712008", "Neonatal jaundice"), icd("P59.9", "Neonatal jaundice, unspecified"), "Neonatal hyperbilirubinemia requiring phototherapy", false, 10},
		"anaphylaxis":         {sct("39579001", "Anaphylaxis"), icd("T78.01XA", "Anaphylactic reaction due to peanuts, initial encounter"), "Anaphylaxis to peanut", false, 1},
		"peanut-allergy":      {sct("91935009", "Allergy to peanut"), icd("Z91.010", "Allergy to peanuts"), "Peanut allergy", true, 0},
	}
}

// catalogKey strips an episode suffix: "asthma-exacerbation#2" is an "asthma-exacerbation".
func catalogKey(key string) string {
	k, _, _ := strings.Cut(key, "#")
	return k
}

// rx returns an RxNorm code.
func rx(cui, name string) code { return code{sysRxNorm, cui, name} }

// sct returns a SNOMED CT code.
func sct(c, display string) code { return code{sysSNOMED, c, display} }

// Encounter types of the hospital's own code system.
var (
	typeInpatient = code{sysEncType, "inpatient-admission", "Inpatient admission"}
	typeED        = code{sysEncType, "emergency-visit", "Emergency department visit"}
	typeCardio    = code{sysEncType, "cardiology-consult", "Cardiology consult"}
	typeEndo      = code{sysEncType, "endocrinology-consult", "Endocrinology consult"}
	typePulm      = code{sysEncType, "pulmonology-consult", "Pulmonology consult"}
	typeDev       = code{sysEncType, "developmental-consult", "Developmental-behavioral pediatrics consult"}
	typeAllergy   = code{sysEncType, "allergy-consult", "Allergy and immunology consult"}
)
