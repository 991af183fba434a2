package ehr

// profiles returns the clinical stories by name: the seven stories most children share (their
// dates and values shifted a little per child), two of them with a stay still in progress,
// and the three showcase stories of child-01, child-03 and child-05 (seed_showcase.go).
func profiles() map[string]profile {
	out := map[string]profile{
		"asthma": asthmaStory(), "pneumonia": pneumoniaStory(), "diabetes": diabetesStory(),
		"adhd": adhdStory(), "gastro": gastroStory(), "cardiac": cardiacStory(), "thyroid": thyroidStory(),
		"asthma-showcase": ameliaStory(), "diabetes-showcase": sofiaStory(), "newborn-allergy-showcase": avaStory(),
	}
	admitted := out["asthma"]
	admitted.visits = append(admitted.visits[:len(admitted.visits):len(admitted.visits)],
		visit{kind: emergency, daysAgo: 2, fixed: true, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("281239006", "Exacerbation of asthma"),
			dx: []string{"asthma-exacerbation#2", "asthma"}, sick: sick{hr: 1.35, rr: 1.7, temp: 37.8, spo2: 90}, labs: []string{"cbc"},
			meds:   []med{medicine("albuterol-neb"), medicine("dexamethasone")},
			course: "Severe exacerbation with SpO2 90% on room air; little response to three albuterol nebulizers and dexamethasone. Admitted."},
		visit{kind: inpatient, fromED: true, current: true, dept: "dept-hospital-medicine", clinician: "dr-kim", typ: typeInpatient,
			reason: sct("281239006", "Exacerbation of asthma"), dx: []string{"asthma-exacerbation#2", "asthma"}, midLabs: []string{"bmp"},
			meds:   []med{medicine("albuterol-q2h"), medicine("methylprednisolone")},
			course: "Admitted to 4 West on albuterol every 2 hours and IV methylprednisolone with oxygen by nasal cannula; weaning as tolerated. Expected discharge in one to two days once on albuterol every 4 hours and room air."})
	out["asthma-admitted"] = admitted
	svt := out["cardiac"]
	svt.visits = append(svt.visits[:len(svt.visits):len(svt.visits)],
		visit{kind: emergency, daysAgo: 2, fixed: true, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("80313002", "Palpitations"),
			dx: []string{"svt"}, sick: sick{hr: 2.3, rr: 1.2, temp: 36.8, spo2: 98}, labs: []string{"bmp"}, meds: []med{medicine("adenosine")},
			course: "Narrow-complex tachycardia at 220/min for 40 minutes despite propranolol; vagal maneuvers failed, converted with a single dose of adenosine. Admitted for telemetry."},
		visit{kind: inpatient, fromED: true, current: true, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-nguyen", typ: typeInpatient,
			reason: sct("6456007", "Supraventricular tachycardia"), dx: []string{"svt"},
			course: "Recurrent supraventricular tachycardia on propranolol; in sinus rhythm on telemetry since adenosine. Cardiology is adjusting therapy and discussing an electrophysiology study with ablation."})
	out["cardiac-admitted"] = svt
	return out
}

func asthmaStory() profile {
	return profile{series: map[string][]float64{"6690-2": {12.9, 7.6}}, onsetAge: map[string]float64{"asthma": 3}, visits: []visit{
		{kind: emergency, daysAgo: 410, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("281239006", "Exacerbation of asthma"),
			dx: []string{"asthma-exacerbation", "asthma"}, sick: sick{hr: 1.3, rr: 1.6, temp: 37.4, spo2: 91}, labs: []string{"cbc"},
			course: "Wheeze and increased work of breathing; improved after three albuterol treatments and oral steroids.",
			meds:   []med{medicine("albuterol-neb"), medicine("albuterol-mdi"), medicine("prednisolone")}},
		{kind: specialty, daysAgo: 300, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: sct("195967001", "Asthma"), labs: []string{"cbc"},
			dx: []string{"asthma"}, course: "Persistent asthma, moderate. Spirometry with reversible obstruction. Starting daily inhaled steroid.",
			meds: []med{medicine("fluticasone-44")}},
		{kind: specialty, daysAgo: 90, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: sct("195967001", "Asthma"), dx: []string{"asthma"},
			course: "Well controlled on controller therapy; no night symptoms. Continue current plan, review in 6 months."},
	}}
}

func pneumoniaStory() profile {
	pneumonia := sct("233604007", "Pneumonia")
	return profile{series: map[string][]float64{"6690-2": {18.6, 11.2, 7.4}, "2951-2": {133}, "1988-5": {86, 14}}, visits: []visit{
		{kind: emergency, daysAgo: 200, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: pneumonia, dx: []string{"pneumonia"},
			sick: sick{hr: 1.35, rr: 1.7, temp: 39.4, spo2: 91}, labs: []string{"cbc", "crp", "bcx"},
			cxr:    "Right lower lobe consolidation consistent with pneumonia; no pleural effusion.",
			meds:   []med{changed("acetaminophen", func(m *med) { m.category, m.freq, m.prn = "outpatient", "once", "" })},
			course: "Fever for four days, cough and tachypnea; right lower lobe consolidation on chest X-ray. Admitted."},
		{kind: inpatient, fromED: true, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-abara", typ: typeInpatient, reason: pneumonia,
			dx: []string{"pneumonia"}, labs: []string{"bmp"}, endLabs: []string{"cbc", "crp"},
			course: "Community-acquired pneumonia treated with IV ampicillin, then oral amoxicillin; afebrile for 36 hours and off oxygen before discharge. Blood culture no growth.",
			meds:   []med{medicine("ampicillin"), medicine("acetaminophen"), medicine("amoxicillin")}},
		{kind: specialty, daysAgo: 150, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: pneumonia, dx: []string{"pneumonia"}, labs: []string{"cbc"},
			course: "Full recovery after pneumonia; lungs clear. No further follow-up needed."},
	}}
}

func diabetesStory() profile {
	return profile{
		series: map[string][]float64{"2339-0": {486, 265, 168}, "2951-2": {131, 134, 138}, "2823-3": {5.6, 3.8, 4.1}, "2028-9": {8, 14, 22},
			"2746-6": {7.14}, "2021-4": {21}, "14627-4": {7}, "4548-4": {11.4, 9.2, 7.9}},
		results: map[string][]string{"2514-8": {"Large (160 mg/dL)"}, "25428-4": {">=1000 mg/dL"}},
		visits: []visit{
			{kind: inpatient, daysAgo: 540, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-rossi", typ: typeInpatient,
				reason: sct("420422005", "Diabetic ketoacidosis"), dx: []string{"dka", "t1d"}, sick: sick{hr: 1.3, rr: 1.5, temp: 37, spo2: 99},
				labs: []string{"bmp", "a1c", "vbg", "ua"}, midLabs: []string{"bmp"}, endLabs: []string{"bmp"},
				course: "New-onset type 1 diabetes presenting in DKA; insulin infusion, then basal-bolus insulin. Family completed diabetes education.",
				meds: []med{changed("insulin-infusion", func(m *med) { m.prescriber = "dr-rossi" }), changed("saline-bolus", func(m *med) { m.category = "inpatient" }),
					changed("glargine", func(m *med) { m.prescriber = "dr-rossi" }), changed("lispro", func(m *med) { m.prescriber = "dr-rossi" }),
					changed("glucagon", func(m *med) { m.prescriber = "dr-rossi" })}},
			{kind: specialty, daysAgo: 360, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: sct("46635009", "Type 1 diabetes mellitus"),
				dx: []string{"t1d"}, labs: []string{"a1c"}, course: "HbA1c improving; adjusted insulin-to-carbohydrate ratio. Discussed continuous glucose monitoring."},
			{kind: specialty, daysAgo: 120, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: sct("46635009", "Type 1 diabetes mellitus"),
				dx: []string{"t1d"}, labs: []string{"a1c"}, course: "Good control on CGM; no severe hypoglycemia. Continue current regimen."},
		}}
}

func adhdStory() profile {
	adhd := sct("406506008", "Attention deficit hyperactivity disorder")
	return profile{series: map[string][]float64{"3016-3": {1.8}}, visits: []visit{
		{kind: specialty, daysAgo: 330, dept: "dept-developmental", clinician: "dr-yoon", typ: typeDev, reason: adhd, dx: []string{"adhd"}, labs: []string{"tsh"},
			course: "Combined-type ADHD confirmed with parent and teacher rating scales. Starting a stimulant after cardiac screening.",
			meds:   []med{medicine("methylphenidate")}},
		{kind: specialty, daysAgo: 320, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: sct("88610006", "Heart murmur"), dx: []string{"murmur", "adhd"},
			course: "Innocent flow murmur; normal ECG and echocardiogram. No cardiac contraindication to stimulant therapy."},
		{kind: emergency, daysAgo: 260, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("65966004", "Fracture of forearm"), dx: []string{"forearm-fracture"},
			sick:   sick{hr: 1.15, rr: 1, temp: 36.9, spo2: 99},
			course: "Fall from bicycle; non-displaced distal radius fracture, splinted. Orthopedics follow-up in one week.",
			meds:   []med{medicine("ibuprofen")}},
		{kind: specialty, daysAgo: 120, dept: "dept-developmental", clinician: "dr-yoon", typ: typeDev, reason: adhd, dx: []string{"adhd"},
			course: "Improved attention at school; appetite mildly reduced. Weight stable. Continue current dose."},
	}}
}

func gastroStory() profile {
	return profile{series: map[string][]float64{"2951-2": {131, 137}, "2823-3": {3.2, 3.9}, "2339-0": {64, 88}, "2160-0": {0.62, 0.38}, "2028-9": {15, 22}, "3094-0": {24, 9}},
		visits: []visit{
			{kind: emergency, daysAgo: 95, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("34095006", "Dehydration"), labs: []string{"bmp"},
				dx: []string{"dehydration", "gastroenteritis"}, sick: sick{hr: 1.3, rr: 1.1, temp: 38.3, spo2: 99},
				course: "Two days of vomiting and diarrhea; moderate dehydration, failed oral rehydration trial. Admitted for IV fluids.",
				meds:   []med{medicine("ondansetron"), medicine("saline-bolus")}},
			{kind: inpatient, fromED: true, stay: 2, dept: "dept-hospital-medicine", clinician: "dr-kim", typ: typeInpatient, reason: sct("25374005", "Gastroenteritis"),
				dx: []string{"gastroenteritis", "dehydration"}, endLabs: []string{"bmp"}, meds: []med{medicine("maintenance-fluids")},
				course: "Viral gastroenteritis with dehydration; IV fluids for 36 hours, tolerating oral intake and electrolytes normal at discharge."},
		}}
}

func cardiacStory() profile {
	svt := sct("6456007", "Supraventricular tachycardia")
	return profile{series: map[string][]float64{"2823-3": {3.9}, "3016-3": {2.1}}, visits: []visit{
		{kind: emergency, daysAgo: 480, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("80313002", "Palpitations"), labs: []string{"bmp"},
			dx: []string{"svt"}, sick: sick{hr: 2.3, rr: 1.2, temp: 36.8, spo2: 98},
			course: "Narrow-complex tachycardia at 230/min converted with vagal maneuvers. Referred to cardiology."},
		{kind: specialty, daysAgo: 470, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: svt, dx: []string{"svt"}, labs: []string{"tsh"},
			course: "Supraventricular tachycardia, likely AV-node reentry. Structurally normal heart. Starting propranolol.",
			meds:   []med{medicine("propranolol")}},
		{kind: specialty, daysAgo: 200, dept: "dept-cardiology", clinician: "dr-nguyen", typ: typeCardio, reason: svt, dx: []string{"svt"},
			course: "No recurrence on propranolol; Holter monitor unremarkable. Discussed ablation as a future option."},
		{kind: specialty, daysAgo: 60, dept: "practice-lakeside", clinician: "dr-moreau", typ: typeCardio, reason: svt, dx: []string{"svt"}, format: "pdf",
			course: "Second opinion at family's request: agree with medical management; ablation when older if episodes recur."},
	}}
}

func thyroidStory() profile {
	hypo := sct("40930008", "Hypothyroidism")
	return profile{series: map[string][]float64{"3016-3": {14.2, 6.3, 2.4}, "3024-7": {0.62, 0.95, 1.24}}, visits: []visit{
		{kind: specialty, daysAgo: 400, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, dx: []string{"hypothyroidism"}, labs: []string{"tsh", "ft4"},
			course: "Fatigue and goiter; elevated TSH with positive thyroid antibodies (Hashimoto thyroiditis). Starting levothyroxine.",
			meds: []med{changed("levothyroxine-25", func(m *med) {
				m.status, m.stopAfter, m.stopReason = "stopped", 150, "Dose increased to 50 mcg daily"
			})}},
		{kind: specialty, daysAgo: 250, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, dx: []string{"hypothyroidism"}, labs: []string{"tsh", "ft4"},
			course: "TSH still above target; increasing levothyroxine to 50 mcg daily.", meds: []med{medicine("levothyroxine-50")}},
		{kind: specialty, daysAgo: 70, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: hypo, dx: []string{"hypothyroidism"}, labs: []string{"tsh", "ft4"},
			format: "pdf", course: "Euthyroid on current dose; energy and growth normal. Recheck TSH in 6 months."},
	}}
}
