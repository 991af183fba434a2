package ehr

// avaStory is child-05: a NICU stay for hyperbilirubinemia as a newborn, anaphylaxis to
// peanut at 19 months with an allergy consultation, then gastroenteritis with an ED visit and
// a two-day stay this summer. Her measurements include head circumference to 24 months.
func avaStory() profile {
	return profile{exact: true, growth: true,
		series: map[string][]float64{"1975-2": {21.4, 15.2, 11.8}, "718-7": {13.9}, "4544-3": {41}, "6690-2": {12.4}, "777-3": {262}, "6206-7": {48.2},
			"2951-2": {131, 137}, "2823-3": {3.3, 3.9}, "2339-0": {62, 91}, "2160-0": {0.58, 0.36}, "2028-9": {15, 22}, "3094-0": {23, 9}},
		visits: []visit{
			{kind: inpatient, dayOfLife: 3, stay: 3, admitSource: "hosp-trans", dept: "dept-neonatology", clinician: "dr-iyer", typ: typeInpatient,
				reason: sct("387712008", "Neonatal jaundice"), dx: []string{"neonatal-jaundice"}, labs: []string{"bili", "cbc"}, midLabs: []string{"bili"}, endLabs: []string{"bili"},
				meds: []med{medicine("vitamin-d")}, story: &narrative{
					hpi: "Ava was born at 39 weeks at Riverton Community Hospital by an uncomplicated vaginal delivery, birth weight 3.1 kg, to a mother with blood group O positive; Ava is A positive with a positive direct antiglobulin test. Exclusively breastfed. Jaundice was noticed at 30 hours; a serum bilirubin at 60 hours was 21.4 mg/dL and she was transferred for intensive phototherapy.",
					course: []string{"Intensive phototherapy from arrival, IV fluids for 12 hours, and breastfeeding with expressed-milk supplements. Bilirubin fell to 15.2 mg/dL the next morning and 11.8 mg/dL on the day of discharge; no exchange transfusion was needed. Hemoglobin 13.9 g/dL, consistent with mild hemolysis from ABO incompatibility.",
						"Feeding well by discharge: breastfeeding every 2 to 3 hours with 6 wet diapers a day. Newborn metabolic and hearing screens were done at the birth hospital and are normal."},
					exam: "Vigorous, jaundice of the face only. Weight 3.0 kg. Otherwise normal examination.",
					followUp: []string{"Maple Street Pediatrics (Dr. Priya Patel) in 24 to 48 hours for a weight check and bilirubin level.",
						"Repeat hemoglobin at 2 to 3 weeks of age (late anemia of ABO hemolytic disease).", "Vitamin D 400 units daily while breastfeeding.",
						"Call for yellowing that spreads to the belly or legs, poor feeding, fewer than 6 wet diapers a day, or unusual sleepiness."}}},
			{kind: emergency, dayOfLife: 580, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("39579001", "Anaphylaxis"),
				dx: []string{"anaphylaxis", "peanut-allergy"}, sick: sick{hr: 1.35, rr: 1.4, temp: 36.9, spo2: 94},
				meds: []med{medicine("epinephrine-im"), medicine("diphenhydramine"), medicine("epinephrine-auto")}, story: &narrative{
					hpi: "About 20 minutes after her first taste of a peanut-butter cookie at a family party, Ava developed hives around the mouth spreading to the trunk, swollen lips, repeated vomiting and a hoarse cry with noisy breathing. Her father called 911; paramedics gave epinephrine 0.15 mg into the thigh on the way.",
					course: []string{"On arrival: generalized hives, lip swelling, mild inspiratory stridor and wheeze, SpO2 94% on room air. A second dose of IM epinephrine, diphenhydramine and oxygen by mask; stridor and wheeze resolved within 20 minutes.",
						"Observed for 6 hours without recurrence. Both parents trained with the epinephrine auto-injector and given a written anaphylaxis action plan; referred to Allergy and Immunology."}}},
			{kind: specialty, dayOfLife: 622, dept: "dept-allergy", clinician: "dr-levesque", typ: typeAllergy, reason: sct("91935009", "Allergy to peanut"),
				dx: []string{"peanut-allergy"}, labs: []string{"ige"}, format: "pdf", story: &narrative{
					hpi:    "Seen six weeks after anaphylaxis to peanut (epinephrine twice, in the field and in the ED). No earlier reactions; eats egg, milk, wheat and sesame. Moderate eczema since infancy.",
					course: []string{"IgE-mediated peanut allergy with anaphylaxis: peanut-specific IgE 48.2 kU/L, skin-prick wheal 12 mm. Tolerance on an oral challenge is unlikely."},
					plan: []string{"Strict peanut avoidance; label reading reviewed. Cashew and pistachio are eaten at home without reaction and may continue.",
						"Epinephrine auto-injector 0.15 mg: two devices at home and two at childcare; anaphylaxis action plan updated.",
						"Peanut oral immunotherapy discussed as an option from age 4.", "Daily moisturizer and steroid ointment for eczema flares."},
					followUp: []string{"Allergy clinic yearly with a peanut IgE; next visit in 12 months.", "Dr. Patel: please renew the auto-injectors every year."}}},
			{kind: emergency, daysAgo: 95, dept: "dept-emergency", clinician: "dr-santos", typ: typeED, reason: sct("34095006", "Dehydration"), labs: []string{"bmp"},
				dx: []string{"dehydration", "gastroenteritis"}, sick: sick{hr: 1.3, rr: 1.1, temp: 38.3, spo2: 99},
				course: "Two days of vomiting and diarrhea with a classmate ill the same week; moderate dehydration (dry lips, capillary refill 3 seconds) and vomited an oral rehydration trial after ondansetron. Saline bolus given; admitted for IV fluids.",
				meds:   []med{medicine("ondansetron"), medicine("saline-bolus")}},
			{kind: inpatient, fromED: true, stay: 2, dept: "dept-hospital-medicine", clinician: "dr-kim", typ: typeInpatient, reason: sct("25374005", "Gastroenteritis"),
				dx: []string{"gastroenteritis", "dehydration"}, endLabs: []string{"bmp"}, meds: []med{medicine("maintenance-fluids")}, story: &narrative{
					course: []string{"Viral gastroenteritis with moderate dehydration and hypoglycemia on arrival (glucose 62 mg/dL), corrected with dextrose-containing IV fluids. Vomiting stopped after the first night; drinking well by day 2 and the IV was removed. Electrolytes and creatinine normal on the morning of discharge. Stool testing not needed.",
						"Her peanut allergy was flagged on the meal tray; no reactions during the stay."},
					followUp: []string{"Dr. Priya Patel (Maple Street Pediatrics) in 2 to 3 days if diarrhea continues or she is not drinking well.",
						"Return for repeated vomiting, no urine for 8 hours, blood in the stool or unusual sleepiness."}}},
		}}
}
