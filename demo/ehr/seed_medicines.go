package ehr

// medicines returns the orders the stories write, by short name, with their usual pediatric
// dosing (weight-based where that is how children are dosed). Stories adjust a copy with
// changed. RxNorm codes are ingredient codes; the text names the product.
func medicines() map[string]med {
	return map[string]med{
		"albuterol-mdi": {rx: rx("435", "albuterol"), text: "Albuterol HFA 90 mcg/actuation inhaler", dose: 2, unit: "puffs",
			route: "inhaled", freq: "q4h", prn: "cough or wheeze", category: "community"},
		"albuterol-neb": {rx: rx("435", "albuterol"), text: "Albuterol 2.5 mg/3 mL nebulizer solution", dose: 0.15, maxDose: 5, step: 2.5, perKg: true, unit: "mg",
			route: "neb", freq: "q20min-x3", category: "outpatient"},
		"albuterol-q2h": {rx: rx("435", "albuterol"), text: "Albuterol 2.5 mg/3 mL nebulizer solution", dose: 5, unit: "mg",
			route: "neb", freq: "q2h", extra: "space to every 4 hours as tolerated", category: "inpatient"},
		"albuterol-continuous": {rx: rx("435", "albuterol"), text: "Albuterol 5 mg/mL solution for continuous nebulization", dose: 10, unit: "mg/h", rate: true,
			route: "neb", freq: "continuous", category: "inpatient"},
		"prednisolone": {rx: rx("8638", "prednisolone"), text: "Prednisolone 15 mg/5 mL oral solution", dose: 1, maxDose: 60, perKg: true, unit: "mg",
			route: "oral", freq: "daily", days: 5, category: "community"},
		"dexamethasone": {rx: rx("3264", "dexamethasone"), text: "Dexamethasone 10 mg/mL oral solution", dose: 0.6, maxDose: 16, perKg: true, unit: "mg",
			route: "oral", freq: "once", category: "outpatient"},
		"methylprednisolone": {rx: rx("6902", "methylprednisolone"), text: "Methylprednisolone sodium succinate 40 mg/mL injection", dose: 1, maxDose: 60, perKg: true, unit: "mg",
			route: "iv", freq: "q12h", category: "inpatient"},
		"magnesium": {rx: rx("6585", "magnesium sulfate"), text: "Magnesium sulfate 500 mg/mL injection, diluted", dose: 50, maxDose: 2000, perKg: true, unit: "mg",
			route: "iv", freq: "once", extra: "over 20 minutes", category: "outpatient"},
		"fluticasone-44": {rx: rx("41126", "fluticasone"), text: "Fluticasone propionate HFA 44 mcg/actuation inhaler", dose: 2, unit: "puffs",
			route: "inhaled", freq: "bid", extra: "rinse mouth after use", category: "community"},
		"fluticasone-110": {rx: rx("41126", "fluticasone"), text: "Fluticasone propionate HFA 110 mcg/actuation inhaler", dose: 2, unit: "puffs",
			route: "inhaled", freq: "bid", extra: "rinse mouth after use", category: "discharge"},
		"montelukast": {rx: rx("88249", "montelukast"), text: "Montelukast 5 mg chewable tablet", dose: 5, unit: "mg",
			route: "oral", freq: "bedtime", category: "community"},
		"potassium": {rx: rx("8591", "potassium chloride"), text: "Potassium chloride 20 mEq/15 mL oral solution", dose: 0.5, maxDose: 20, step: 5, perKg: true, unit: "mEq",
			route: "oral", freq: "once", category: "inpatient"},
		"amoxicillin": {rx: rx("723", "amoxicillin"), text: "Amoxicillin 400 mg/5 mL oral suspension", dose: 45, maxDose: 2000, perKg: true, unit: "mg",
			route: "oral", freq: "bid", days: 5, category: "discharge"},
		"ampicillin": {rx: rx("733", "ampicillin"), text: "Ampicillin 1 g injection", dose: 50, maxDose: 2000, perKg: true, unit: "mg",
			route: "iv", freq: "q6h", category: "inpatient"},
		"acetaminophen": {rx: rx("161", "acetaminophen"), text: "Acetaminophen 160 mg/5 mL oral suspension", dose: 15, maxDose: 650, perKg: true, unit: "mg",
			route: "oral", freq: "q6h", prn: "fever or pain", category: "inpatient"},
		"ibuprofen": {rx: rx("5640", "ibuprofen"), text: "Ibuprofen 100 mg/5 mL oral suspension", dose: 10, maxDose: 400, perKg: true, unit: "mg",
			route: "oral", freq: "q6h", prn: "pain", days: 5, category: "community"},
		"ondansetron": {rx: rx("26225", "ondansetron"), text: "Ondansetron 4 mg orally disintegrating tablet", dose: 0.15, maxDose: 4, step: 2, perKg: true, unit: "mg",
			route: "oral", freq: "once", category: "outpatient"},
		"saline-bolus": {rx: rx("9863", "sodium chloride"), text: "Sodium chloride 0.9% intravenous solution (bolus)", dose: 20, maxDose: 1000, perKg: true, unit: "mL",
			route: "iv", freq: "once", extra: "over 30 minutes", category: "outpatient"},
		"maintenance-fluids": {rx: rx("4850", "glucose"), text: "Dextrose 5% and sodium chloride 0.9% with potassium chloride 20 mEq/L", dose: 3.2, maxDose: 100, step: 1, perKg: true, rate: true, unit: "mL/h",
			route: "iv", freq: "continuous", category: "inpatient"},
		"insulin-infusion": {rx: rx("5856", "insulin"), text: "Insulin regular (human) 1 unit/mL in sodium chloride 0.9% infusion", dose: 0.1, step: 0.1, perKg: true, rate: true, unit: "units/h",
			route: "iv", freq: "continuous", extra: "per the DKA protocol", category: "inpatient"},
		"dka-fluids": {rx: rx("9863", "sodium chloride"), text: "Sodium chloride 0.9% with potassium chloride 20 mEq/L and potassium phosphate 20 mEq/L (two-bag system)", dose: 3.5, maxDose: 250, step: 1, perKg: true, rate: true, unit: "mL/h",
			route: "iv", freq: "continuous", extra: "adjust dextrose bag to glucose per protocol", category: "inpatient"},
		"glargine": {rx: rx("274783", "insulin glargine"), text: "Insulin glargine 100 units/mL pen", dose: 14, unit: "units",
			route: "subcut", freq: "bedtime", category: "discharge"},
		"lispro": {rx: rx("86009", "insulin lispro"), text: "Insulin lispro 100 units/mL pen", dose: 1, unit: "units",
			route: "subcut", freq: "meals", extra: "per 15 g of carbohydrate, plus 1 unit per 50 mg/dL above 150 mg/dL", category: "discharge"},
		"glucagon": {rx: rx("4832", "glucagon"), text: "Glucagon 3 mg nasal powder", dose: 3, unit: "mg",
			route: "nasal", freq: "once", prn: "severe low blood sugar with inability to eat or drink", category: "discharge"},
		"methylphenidate": {rx: rx("6901", "methylphenidate"), text: "Methylphenidate extended-release 18 mg tablet", dose: 18, unit: "mg",
			route: "oral", freq: "morning", extra: "swallow whole", category: "community"},
		"propranolol": {rx: rx("8787", "propranolol"), text: "Propranolol 20 mg/5 mL oral solution", dose: 0.33, maxDose: 40, step: 1, perKg: true, unit: "mg",
			route: "oral", freq: "tid", category: "community"},
		"adenosine": {rx: rx("296", "adenosine"), text: "Adenosine 3 mg/mL injection", dose: 0.1, maxDose: 6, step: 0.1, perKg: true, unit: "mg",
			route: "iv", freq: "once", extra: "rapid push with saline flush", category: "outpatient"},
		"levothyroxine-25": {rx: rx("10582", "levothyroxine"), text: "Levothyroxine 25 mcg tablet", dose: 25, unit: "mcg",
			route: "oral", freq: "daily", extra: "on an empty stomach, 30 minutes before breakfast", category: "community"},
		"levothyroxine-50": {rx: rx("10582", "levothyroxine"), text: "Levothyroxine 50 mcg tablet", dose: 50, unit: "mcg",
			route: "oral", freq: "daily", extra: "on an empty stomach, 30 minutes before breakfast", category: "community"},
		"epinephrine-im": {rx: rx("3992", "epinephrine"), text: "Epinephrine 1 mg/mL injection", dose: 0.01, maxDose: 0.5, step: 0.01, perKg: true, unit: "mg",
			route: "im", freq: "once", category: "outpatient"},
		"epinephrine-auto": {rx: rx("3992", "epinephrine"), text: "Epinephrine 0.15 mg auto-injector, 2-pack", dose: 0.15, unit: "mg",
			route: "im", freq: "once", prn: "anaphylaxis; call 911 after use", extra: "may repeat once after 5 to 15 minutes", category: "community"},
		"diphenhydramine": {rx: rx("3498", "diphenhydramine"), text: "Diphenhydramine 12.5 mg/5 mL oral solution", dose: 1, maxDose: 50, step: 0.5, perKg: true, unit: "mg",
			route: "oral", freq: "once", category: "outpatient"},
		"vitamin-d": {rx: rx("2418", "cholecalciferol"), text: "Cholecalciferol (vitamin D3) 400 units/mL oral drops", dose: 400, unit: "units",
			route: "oral", freq: "daily", days: 365, extra: "while breastfeeding", category: "discharge"},
	}
}

// changed returns a copy of the named medicine with f applied.
func changed(name string, f func(*med)) med {
	m, ok := medicines()[name]
	if !ok {
		panic("ehr: seed: unknown medicine " + name)
	}
	f(&m)
	return m
}

// medicine returns the named medicine as the catalog has it.
func medicine(name string) med { return changed(name, func(*med) {}) }
