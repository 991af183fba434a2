package ehr

// The three showcase children have exact stories (no jitter, no noise) with growth from birth
// and written notes: child-01 (asthma, a recent PICU stay), child-03 (type 1 diabetes from
// DKA, glucose 488 mg/dL) and child-05 (a NICU stay as a newborn, peanut anaphylaxis, a
// recent admission). README.md lists what each shows.

// ameliaStory is child-01: moderate persistent asthma, an ED visit, two pulmonology visits
// and a stay for status asthmaticus (PICU, then 4 West) discharged ten days ago.
func ameliaStory() profile {
	asthma, status := sct("195967001", "Asthma"), sct("57546000", "Asthma with status asthmaticus")
	return profile{exact: true, growth: true, onsetAge: map[string]float64{"asthma": 4},
		series: map[string][]float64{"6690-2": {12.9, 8.1, 14.8}, "718-7": {13.1, 13.4, 13.6}, "2339-0": {162, 104}, "2823-3": {3.4, 3.1},
			"2746-6": {7.33}, "2021-4": {48}, "1988-5": {3.2}},
		visits: []visit{
			{kind: emergency, daysAgo: 410, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("281239006", "Exacerbation of asthma"),
				dx: []string{"asthma-exacerbation", "asthma", "viral-uri"}, sick: sick{hr: 1.35, rr: 1.7, temp: 37.3, spo2: 92}, labs: []string{"cbc"},
				meds: []med{medicine("albuterol-neb"), medicine("albuterol-mdi"), medicine("prednisolone")}, story: &narrative{
					hpi: "Two days of cough and runny nose, then wheeze and chest tightness overnight despite albuterol every 3 hours at home. No fever. Known asthma since age 4, on no controller medicine. Stayed with a friend who has a cat.",
					course: []string{"Moderate respiratory distress with diffuse wheeze, subcostal retractions and SpO2 92% on room air. Three albuterol nebulizers 20 minutes apart and a first dose of oral prednisolone.",
						"After two hours: wheeze much improved, no retractions, SpO2 97% on room air, speaking in full sentences; pulmonary score from 7 to 2. Referred to pulmonology for persistent asthma."}}},
			{kind: specialty, daysAgo: 300, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: asthma, dx: []string{"asthma"}, labs: []string{"cbc"},
				meds: []med{changed("fluticasone-44", func(m *med) {
					m.status, m.stopAfter, m.stopReason = "stopped", 290, "Stepped up to fluticasone 110 mcg at hospital discharge"
				})},
				story: &narrative{
					hpi:    "Referred by Dr. Priya Patel after an ED visit for an asthma exacerbation. Daytime symptoms four days a week, night cough twice a week, albuterol most days; six school days missed this term. Triggers: colds, exercise, dust and cats. Eczema as a toddler; father has asthma.",
					course: []string{"Moderate persistent asthma, not well controlled. Spirometry: FEV1 78% predicted, FEV1/FVC 0.74, 16% improvement after albuterol. Exhaled nitric oxide 42 ppb, consistent with eosinophilic airway inflammation."},
					plan: []string{"Start fluticasone 44 mcg, 2 puffs twice daily with a spacer; rinse mouth after use.", "Albuterol 2 puffs every 4 hours as needed; call if needed more than twice a week.",
						"Written asthma action plan reviewed with her mother; school medication form completed.", "Dust-mite covers for mattress and pillows; no smoking in the home or car.", "Influenza vaccine given today."},
					followUp: []string{"Pulmonology clinic in 3 months with spirometry.", "Dr. Patel to review inhaler technique at the next well visit."}}},
			{kind: specialty, daysAgo: 90, dept: "dept-pulmonology", clinician: "dr-abara", typ: typePulm, reason: asthma, dx: []string{"asthma"}, format: "pdf",
				meds: []med{medicine("montelukast")}, story: &narrative{
					hpi:    "Better on fluticasone: symptoms twice a week, one night waking a month, albuterol about twice a week. Good technique with the spacer. Symptoms with exercise before soccer games.",
					course: []string{"Moderate persistent asthma, improved but not fully controlled (Asthma Control Test 18). Spirometry: FEV1 91% predicted, no significant bronchodilator response."},
					plan: []string{"Continue fluticasone 44 mcg 2 puffs twice daily.", "Add montelukast 5 mg at bedtime; possible mood and sleep side effects discussed: stop and call if they occur.",
						"Albuterol 2 puffs 15 minutes before sports."},
					followUp: []string{"Pulmonology clinic in 4 months.", "Letter sent to Dr. Patel."}}},
			{kind: emergency, daysAgo: 13, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: status,
				dx: []string{"status-asthmaticus", "asthma", "viral-uri#2"}, sick: sick{hr: 1.45, rr: 2, temp: 38.1, spo2: 88}, labs: []string{"cbc", "bmp", "vbg", "crp"},
				cxr:  "Hyperinflation with peribronchial thickening. No focal consolidation, effusion or pneumothorax.",
				meds: []med{medicine("albuterol-neb"), changed("methylprednisolone", func(m *med) { m.dose, m.freq, m.category = 2, "once", "outpatient" }), medicine("magnesium")},
				story: &narrative{
					hpi: "Three days of cold symptoms and fever to 38.5 °C, then worsening wheeze since last night; albuterol every 2 hours at home without relief. Unable to speak in full sentences on arrival.",
					course: []string{"Severe respiratory distress: SpO2 88% on room air, respiratory rate 44, tripod position, poor air entry on both sides. Oxygen by nasal cannula, three back-to-back albuterol nebulizers, IV methylprednisolone and IV magnesium sulfate.",
						"Little improvement after an hour (pulmonary score 9); continuous albuterol started and the PICU accepted her for admission."}}},
			{kind: inpatient, fromED: true, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-abara", typ: typeInpatient, reason: status,
				units: []unitStay{{dept: "dept-critical-care", attending: "dr-achterberg", days: 1}, {dept: "dept-hospital-medicine", attending: "dr-kim"}},
				dx:    []string{"status-asthmaticus", "asthma", "viral-uri#2", "hypokalemia"}, midLabs: []string{"bmp"}, hostile: true,
				meds: []med{changed("albuterol-continuous", func(m *med) { m.prescriber = "dr-achterberg" }), changed("methylprednisolone", func(m *med) { m.prescriber = "dr-achterberg" }),
					changed("potassium", func(m *med) { m.prescriber = "dr-achterberg" }), medicine("fluticasone-110"),
					changed("prednisolone", func(m *med) { m.days, m.category = 2, "discharge" })},
				story: ameliaStay()},
		}}
}

// ameliaStay is the narrative of child-01's discharge summary.
func ameliaStay() *narrative {
	return &narrative{
		hpi: "Amelia is an 11-year-old girl with moderate persistent asthma (on fluticasone and montelukast) admitted from the Emergency Department with status asthmaticus triggered by a viral respiratory infection, after no improvement with three albuterol nebulizers, IV methylprednisolone and IV magnesium.",
		course: []string{
			"PICU (day 1): continuous albuterol 10 mg/h and high-flow nasal cannula oxygen at 20 L/min (FiO2 0.35) for 14 hours, IV methylprednisolone every 12 hours. Venous blood gas on arrival pH 7.33, pCO2 48 mmHg, normal by the next morning. Potassium fell to 3.1 mmol/L on continuous albuterol and was replaced by mouth.",
			"4 West (days 2 and 3): weaned to albuterol every 2 hours, then every 4 hours, and to room air on day 2; changed to oral prednisolone. Pulmonology (Dr. Ngozi Abara) recommended stepping up her controller to fluticasone 110 mcg. Inhaler technique and the asthma action plan reviewed with her mother; the written plan was sent to the school nurse.",
			"On the day of discharge she had no increased work of breathing, SpO2 97% on room air, and had gone 4 hours between albuterol treatments overnight.",
		},
		exam: "Well appearing, speaking in full sentences. Respiratory rate 20, SpO2 97% on room air. Scattered end-expiratory wheeze, no retractions. Tolerating a regular diet and walking the unit.",
		followUp: []string{
			"Dr. Priya Patel (Maple Street Pediatrics) in 2 to 3 days: work of breathing and albuterol use.",
			"Pulmonology clinic (Dr. Ngozi Abara) in 4 weeks with spirometry; the clinic will call the family.",
			"Prednisolone: 2 more doses, the last on the fifth day of steroids.",
			"Albuterol 4 puffs every 4 hours while awake for 2 days, then as needed.",
			"Call 911 or return to the Emergency Department for trouble breathing, blue lips, or albuterol needed more often than every 4 hours.",
		},
	}
}

// sofiaStory is child-03: new-onset type 1 diabetes in DKA (PICU, then 4 West; glucose 488
// mg/dL), endocrinology follow-up, and an ED visit for hypoglycemia (glucose 48 mg/dL).
// Every order is Dr. Rossi's: the endocrinology team writes the diabetes orders.
func sofiaStory() profile {
	t1d, rossi := sct("46635009", "Type 1 diabetes mellitus"), func(name string) med { return changed(name, func(m *med) { m.prescriber = "dr-rossi" }) }
	return profile{exact: true, growth: true,
		series: map[string][]float64{"2339-0": {488, 212, 168, 48}, "2951-2": {131, 135, 138, 139}, "2823-3": {5.6, 3.6, 4.1, 4.2}, "2075-0": {97, 104, 106, 103},
			"2028-9": {7, 15, 22, 24}, "3094-0": {22, 15, 11, 12}, "2160-0": {1.08, 0.82, 0.68, 0.62}, "17861-6": {9.1, 8.7, 9.2, 9.6},
			"2746-6": {7.09}, "2021-4": {19}, "14627-4": {6}, "53061-8": {6.8}, "4548-4": {11.4, 9.2, 7.9}, "3016-3": {2.3},
			"6690-2": {16.8}, "718-7": {14.1}, "4544-3": {42.8}, "777-3": {388}},
		results: map[string][]string{"2514-8": {"Large (160 mg/dL)"}, "25428-4": {">=1000 mg/dL"}},
		visits: []visit{
			{kind: inpatient, daysAgo: 540, stay: 3, dept: "dept-hospital-medicine", clinician: "dr-kim", consultant: "dr-rossi", typ: typeInpatient,
				reason: sct("420422005", "Diabetic ketoacidosis"), dx: []string{"dka", "t1d"}, sick: sick{hr: 1.4, rr: 1.6, temp: 37.1, spo2: 99}, format: "text",
				units: []unitStay{{dept: "dept-critical-care", attending: "dr-achterberg", days: 1}, {dept: "dept-hospital-medicine", attending: "dr-kim"}},
				labs:  []string{"bmp", "vbg", "bhb", "a1c", "cbc", "ua", "tsh"}, midLabs: []string{"bmp"}, endLabs: []string{"bmp"},
				meds: []med{rossi("insulin-infusion"), changed("saline-bolus", func(m *med) { m.dose, m.category, m.prescriber = 10, "inpatient", "dr-rossi" }), rossi("dka-fluids"),
					changed("glargine", func(m *med) {
						m.prescriber, m.status, m.stopAfter, m.stopReason = "dr-rossi", "stopped", 180, "Dose increased to 16 units at the clinic visit"
					}),
					rossi("lispro"), rossi("glucagon")},
				story: sofiaStay()},
			{kind: specialty, daysAgo: 360, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: t1d, dx: []string{"t1d"}, labs: []string{"a1c"}, format: "html",
				meds: []med{changed("glargine", func(m *med) { m.dose, m.category = 16, "community" })}, story: &narrative{
					hpi:    "Six months after diagnosis. On a continuous glucose monitor since month 2: time in range 58%, highs after lunch at school, two mild lows a week after soccer treated with juice. No severe hypoglycemia. Diabetes autoantibodies: GAD65 and ZnT8 positive.",
					course: []string{"Type 1 diabetes, improving: HbA1c 9.2% (11.4% at diagnosis). Weight back on her growth curve."},
					plan: []string{"Increase insulin glargine from 14 to 16 units at bedtime.", "Lunch insulin-to-carbohydrate ratio from 1:15 to 1:12.",
						"Halve the breakfast bolus on soccer days and carry glucose tablets.", "Insulin pump discussed; the family would like to start in the new school year."},
					followUp: []string{"Endocrinology clinic in 3 months.", "Annual screening (celiac, thyroid, lipids, urine albumin) at the next visit."}}},
			{kind: emergency, daysAgo: 200, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("302866003", "Hypoglycemia"),
				dx: []string{"hypoglycemia", "t1d"}, sick: sick{hr: 1.25, rr: 1, temp: 36.6, spo2: 99}, labs: []string{"bmp"},
				meds: []med{changed("glucagon", func(m *med) { m.prescriber, m.category = "dr-rossi", "community" })}, story: &narrative{
					hpi: "Found by her father drowsy and sweaty at 21:30 after an afternoon soccer tournament; her glucose monitor read 45 mg/dL. He gave nasal glucagon and called 911; she vomited once in the ambulance.",
					course: []string{"On arrival drowsy but answering questions; fingerstick glucose 52 mg/dL, laboratory glucose 48 mg/dL. Oral glucose gel and a snack; glucose 134 mg/dL after 30 minutes and 162 mg/dL after 2 hours. Observed for 4 hours with hourly checks.",
						"Cause: a long tournament with her usual evening glargine and no bedtime snack. Discussed with Dr. Marco Rossi (endocrinology): reduce glargine by 20% after tournaments and set the low alert to 80 mg/dL. Dr. Rossi sent a replacement glucagon prescription to the family's pharmacy."}}},
			{kind: specialty, daysAgo: 120, dept: "dept-endocrinology", clinician: "dr-rossi", typ: typeEndo, reason: t1d, dx: []string{"t1d"}, labs: []string{"a1c"}, format: "pdf",
				story: &narrative{
					hpi:    "On a hybrid closed-loop insulin pump for two months and likes it: time in range 71%, time low 2%. No severe hypoglycemia since the ED visit four months ago.",
					course: []string{"Type 1 diabetes, good control on hybrid closed-loop pump therapy: HbA1c 7.9% (9.2% six months ago)."},
					plan: []string{"Continue the current pump settings; pump data reviewed.", "Keep insulin glargine and lispro pens as a back-up if the pump fails.",
						"Annual screening: TSH and celiac antibodies normal; lipids and urine albumin at the next visit."},
					followUp: []string{"Endocrinology clinic in 3 months.", "Dr. Patel: influenza vaccine this fall."}}},
		}}
}

// sofiaStay is the narrative of child-03's discharge summary.
func sofiaStay() *narrative {
	return &narrative{
		hpi: "Sofía is a 12-year-old girl, previously well, referred directly by her pediatrician, Dr. Priya Patel, after three weeks of thirst, frequent urination, bedwetting and a 4 kg weight loss, with two days of vomiting and abdominal pain. A fingerstick glucose in the office read HI and urine ketones were large. She came by the hospital's transport team and was admitted directly to the PICU.",
		course: []string{
			"PICU (day 1): diabetic ketoacidosis with glucose 488 mg/dL, venous pH 7.09, bicarbonate 6 mmol/L and beta-hydroxybutyrate 6.8 mmol/L, Kussmaul breathing and about 7% dehydration. Treated by the DKA protocol: a 10 mL/kg saline bolus, IV insulin at 0.1 units/kg/h and two-bag fluids with potassium. Hourly neurological checks stayed normal; no signs of cerebral edema.",
			"The acidosis resolved after 16 hours (pH 7.34, bicarbonate 15 mmol/L, anion gap closed). Subcutaneous insulin glargine and lispro were started with a meal and the infusion stopped an hour later. Transferred to 4 West on day 2.",
			"4 West (days 2 and 3): glucose 110 to 240 mg/dL on basal-bolus insulin. Endocrinology (Dr. Marco Rossi) confirmed new-onset type 1 diabetes (HbA1c 11.4%). Sofía and her father completed diabetes education with Leah Abbott, RN, CDCES: glucose checks, carbohydrate counting, injections, treating lows, glucagon, sick-day rules and ketone checks; both gave injections and counted carbohydrates on their own before discharge.",
			"Screening TSH was normal.",
		},
		exam: "Alert and well hydrated. Heart rate 88, blood pressure 108/64. Eating meals; glucose 96 to 212 mg/dL over the last 24 hours without hypoglycemia.",
		followUp: []string{
			"Call the diabetes team every evening for the first week with glucose readings: 555-0126, or page 555-0166 after hours; doses are adjusted by phone.",
			"Endocrinology clinic (Dr. Marco Rossi) in 2 weeks, then every 3 months.",
			"Dr. Priya Patel (Maple Street Pediatrics) within 2 weeks; the school diabetes plan was sent to the school nurse.",
			"Return to the Emergency Department for vomiting with ketones, trouble breathing, confusion, or a glucose below 70 mg/dL that does not come up with treatment.",
		},
		pending: "Diabetes autoantibodies (GAD65, IA-2, ZnT8, insulin) are pending; endocrinology will follow them up.",
	}
}
