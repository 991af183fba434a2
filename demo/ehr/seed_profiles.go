package ehr

// visitKind is the kind of encounter a visit becomes.
type visitKind int

const (
	inpatient visitKind = iota
	specialty
	emergency
)

// med is a medication order written at a visit.
type med struct {
	rx                   code
	text, dose, status   string
	category, prescriber string // prescriber "" means the visit's clinician
}

// visit is one encounter of a clinical story, dated relative to the reference date.
type visit struct {
	kind    visitKind
	daysAgo int
	// stay is the length of an inpatient admission in days.
	stay int
	// fromED starts the visit a few hours after the previous one: an ED visit that ended in
	// admission.
	fromED          bool
	dept, clinician string
	consultant      string
	typ, reason     code
	// labs are drawn at the start of the visit, endLabs on the day of discharge.
	labs, endLabs []string
	meds          []med
	course        string
}

// profile is a clinical story: its visits and the lab values that make its trends. series
// holds, per LOINC code, the successive values drawn (a little noise is added per patient);
// codes without a series get a value inside the reference range.
type profile struct {
	series map[string][]float64
	visits []visit
}

// rx returns an RxNorm ingredient code.
func rx(cui, name string) code { return code{sysRxNorm, cui, name} }

// sct returns a SNOMED CT code.
func sct(c, display string) code { return code{sysSNOMED, c, display} }

// profiles returns the clinical stories by name.
func profiles() map[string]profile {
	typeInpatient := code{sysEncType, "inpatient-admission", "Inpatient admission"}
	typeED := code{sysEncType, "emergency-visit", "Emergency department visit"}
	typeCardio := code{sysEncType, "cardiology-consult", "Cardiology consult"}
	typeEndo := code{sysEncType, "endocrinology-consult", "Endocrinology consult"}
	typePulm := code{sysEncType, "pulmonology-consult", "Pulmonology consult"}
	typeDev := code{sysEncType, "developmental-consult", "Developmental-behavioral pediatrics consult"}
	asthma, pneumonia := sct("195967001", "Asthma"), sct("233604007", "Pneumonia")
	dka, t1d := sct("420422005", "Diabetic ketoacidosis"), sct("46635009", "Type 1 diabetes mellitus")
	svt, hypo := sct("6456007", "Supraventricular tachycardia"), sct("40930008", "Hypothyroidism")
	adhd, gastro := sct("406506008", "Attention deficit hyperactivity disorder"), sct("25374005", "Gastroenteritis")
	albuterol := med{rx("435", "albuterol"), "Albuterol HFA 90 mcg/actuation inhaler", "2 puffs inhaled every 4 hours as needed for wheeze or cough", "active", "outpatient", ""}
	levo25 := med{rx("10582", "levothyroxine"), "Levothyroxine 25 mcg tablet", "1 tablet by mouth once daily before breakfast", "stopped", "outpatient", ""}
	levo50 := med{rx("10582", "levothyroxine"), "Levothyroxine 50 mcg tablet", "1 tablet by mouth once daily before breakfast", "active", "outpatient", ""}
	return map[string]profile{
		"asthma": {series: map[string][]float64{"6690-2": {12.9, 7.6}}, visits: []visit{
			{kind: emergency, daysAgo: 410, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("281239006", "Exacerbation of asthma"),
				labs: []string{"cbc"}, course: "Wheeze and increased work of breathing; improved after three albuterol treatments and oral steroids.",
				meds: []med{albuterol, {rx("8638", "prednisolone"), "Prednisolone oral solution 15 mg/5 mL", "1 mg/kg by mouth once daily for 5 days", "completed", "outpatient", ""}}},
			{kind: specialty, daysAgo: 300, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: asthma, labs: []string{"cbc"},
				course: "Persistent asthma, moderate. Spirometry with reversible obstruction. Starting daily inhaled steroid.",
				meds:   []med{{rx("41126", "fluticasone"), "Fluticasone HFA 44 mcg/actuation inhaler", "2 puffs inhaled twice daily; rinse mouth after use", "active", "outpatient", ""}}},
			{kind: specialty, daysAgo: 90, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: asthma,
				course: "Well controlled on controller therapy; no night symptoms. Continue current plan, review in 6 months."},
		}},
		"pneumonia": {series: map[string][]float64{"6690-2": {18.6, 11.2, 7.4}, "2951-2": {133}}, visits: []visit{
			{kind: emergency, daysAgo: 200, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: pneumonia, labs: []string{"cbc"},
				course: "Fever for four days, cough and tachypnea; right lower lobe consolidation on chest X-ray. Admitted."},
			{kind: inpatient, fromED: true, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-abara", typ: typeInpatient, reason: pneumonia,
				labs: []string{"bmp"}, endLabs: []string{"cbc"},
				course: "Community-acquired pneumonia treated with amoxicillin; afebrile for 36 hours and off oxygen before discharge.",
				meds: []med{
					{rx("723", "amoxicillin"), "Amoxicillin oral suspension 400 mg/5 mL", "45 mg/kg/day by mouth divided twice daily for 7 days", "completed", "discharge", ""},
					{rx("161", "acetaminophen"), "Acetaminophen oral suspension 160 mg/5 mL", "15 mg/kg by mouth every 6 hours as needed for fever", "completed", "inpatient", ""},
				}},
			{kind: specialty, daysAgo: 150, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: pneumonia, labs: []string{"cbc"},
				course: "Full recovery after pneumonia; lungs clear. No further follow-up needed."},
		}},
		"diabetes": {series: map[string][]float64{"2339-0": {486, 168}, "2951-2": {131, 138}, "2823-3": {5.6, 4.1}, "4548-4": {11.4, 9.2, 7.9}}, visits: []visit{
			{kind: inpatient, daysAgo: 540, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-rossi", typ: typeInpatient, reason: dka,
				labs: []string{"bmp", "a1c"}, endLabs: []string{"bmp"},
				course: "New-onset type 1 diabetes presenting in DKA; insulin infusion, then basal-bolus insulin. Family completed diabetes education.",
				meds: []med{
					{rx("274783", "insulin glargine"), "Insulin glargine 100 units/mL pen", "Inject subcutaneously once daily at bedtime per dosing plan", "active", "discharge", "dr-rossi"},
					{rx("86009", "insulin lispro"), "Insulin lispro 100 units/mL pen", "Inject subcutaneously with meals per carbohydrate ratio and correction scale", "active", "discharge", "dr-rossi"},
				}},
			{kind: specialty, daysAgo: 360, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: t1d, labs: []string{"a1c"},
				course: "HbA1c improving; adjusted insulin-to-carbohydrate ratio. Discussed continuous glucose monitoring."},
			{kind: specialty, daysAgo: 120, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: t1d, labs: []string{"a1c"},
				course: "Good control on CGM; no severe hypoglycemia. Continue current regimen."},
		}},
		"adhd": {series: map[string][]float64{"3016-3": {1.8}}, visits: []visit{
			{kind: specialty, daysAgo: 330, dept: "dept-developmental", clinician: "dr-yoon", typ: typeDev, reason: adhd, labs: []string{"tsh"},
				course: "Combined-type ADHD confirmed with parent and teacher rating scales. Starting a stimulant after cardiac screening.",
				meds:   []med{{rx("6901", "methylphenidate"), "Methylphenidate extended-release 18 mg tablet", "1 tablet by mouth every morning", "active", "outpatient", ""}}},
			{kind: specialty, daysAgo: 320, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: sct("88610006", "Heart murmur"),
				course: "Innocent flow murmur; normal ECG and echocardiogram. No cardiac contraindication to stimulant therapy."},
			{kind: emergency, daysAgo: 260, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("65966004", "Fracture of forearm"),
				course: "Fall from bicycle; non-displaced distal radius fracture, splinted. Orthopedics follow-up in one week.",
				meds:   []med{{rx("5640", "ibuprofen"), "Ibuprofen oral suspension 100 mg/5 mL", "10 mg/kg by mouth every 6 hours as needed for pain", "completed", "outpatient", ""}}},
			{kind: specialty, daysAgo: 120, dept: "dept-developmental", clinician: "dr-yoon", typ: typeDev, reason: adhd,
				course: "Improved attention at school; appetite mildly reduced. Weight stable. Continue current dose."},
		}},
		"gastro": {series: map[string][]float64{"2951-2": {131, 137}, "2823-3": {3.2, 3.9}, "2339-0": {64, 88}, "2160-0": {0.62, 0.38}}, visits: []visit{
			{kind: emergency, daysAgo: 95, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("34095006", "Dehydration"), labs: []string{"bmp"},
				course: "Two days of vomiting and diarrhea; moderate dehydration, failed oral rehydration trial. Admitted for IV fluids.",
				meds:   []med{{rx("26225", "ondansetron"), "Ondansetron orally disintegrating tablet 4 mg", "0.15 mg/kg by mouth once for vomiting", "completed", "outpatient", ""}}},
			{kind: inpatient, fromED: true, stay: 2, dept: "dept-hospital-medicine", clinician: "dr-kim", typ: typeInpatient, reason: gastro, endLabs: []string{"bmp"},
				course: "Viral gastroenteritis with dehydration; IV fluids for 36 hours, tolerating oral intake and electrolytes normal at discharge."},
		}},
		"cardiac": {series: map[string][]float64{"2823-3": {3.9}, "3016-3": {2.1}}, visits: []visit{
			{kind: emergency, daysAgo: 480, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("80313002", "Palpitations"), labs: []string{"bmp"},
				course: "Narrow-complex tachycardia at 230/min converted with vagal maneuvers. Referred to cardiology."},
			{kind: specialty, daysAgo: 470, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: svt, labs: []string{"tsh"},
				course: "Supraventricular tachycardia, likely AV-node reentry. Structurally normal heart. Starting propranolol.",
				meds:   []med{{rx("8787", "propranolol"), "Propranolol oral solution 20 mg/5 mL", "1 mg/kg/day by mouth divided three times daily", "active", "outpatient", ""}}},
			{kind: specialty, daysAgo: 200, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: svt,
				course: "No recurrence on propranolol; Holter monitor unremarkable. Discussed ablation as a future option."},
			{kind: specialty, daysAgo: 60, dept: "practice-lakeside", clinician: "dr-moreau", typ: typeCardio, reason: svt,
				course: "Second opinion at family's request: agree with medical management; ablation when older if episodes recur."},
		}},
		"thyroid": {series: map[string][]float64{"3016-3": {14.2, 6.3, 2.4}}, visits: []visit{
			{kind: specialty, daysAgo: 400, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, labs: []string{"tsh"},
				course: "Fatigue and goiter; elevated TSH with positive thyroid antibodies (Hashimoto thyroiditis). Starting levothyroxine.",
				meds:   []med{levo25}},
			{kind: specialty, daysAgo: 250, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, labs: []string{"tsh"},
				course: "TSH still above target; increasing levothyroxine to 50 mcg daily.", meds: []med{levo50}},
			{kind: specialty, daysAgo: 70, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, labs: []string{"tsh"},
				course: "Euthyroid on current dose; energy and growth normal. Recheck TSH in 6 months."},
		}},
	}
}
