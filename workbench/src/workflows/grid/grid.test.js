// The grid workflow's rules: who is offered a reveal, the zone a page opens
// on, the reason as grid checks it, the zone's responsible pair.
import { describe, expect, it } from "vitest";
import { defaultZone, mayReveal, reasonProblem, responsiblePair } from "./grid.js";

describe("grid", () => {
  it("offers a reveal to the resident duties only", () => {
    for (const role of ["window_clerk", "zone_cadre", "community_staff", "street_staff"])
      expect(mayReveal([role])).toBe(true);
    for (const role of ["leader", "department_staff", "appraisal_office", "employment_counsellor"])
      expect(mayReveal([role])).toBe(false);
    expect(mayReveal(["leader", "zone_cadre"])).toBe(true);
    expect(mayReveal(undefined)).toBe(false);
  });

  it("opens a cadre's own zone first, else their unit's first zone", () => {
    expect(defaultZone(["37020500100102"], [{ code: "37020500100101" }])).toBe("37020500100102");
    expect(defaultZone([], [{ code: "37020500100101" }, { code: "37020500100102" }])).toBe("37020500100101");
    expect(defaultZone([], [])).toBe("");
  });

  it("takes a reason of 2 to 200 characters of one line, counted as characters", () => {
    expect(reasonProblem("")).toBe("reasonRequired");
    expect(reasonProblem("   ")).toBe("reasonRequired");
    expect(reasonProblem("核")).toBe("reasonLength");
    expect(reasonProblem("核实")).toBe("");
    expect(reasonProblem("核".repeat(200))).toBe("");
    expect(reasonProblem("核".repeat(201))).toBe("reasonLength");
    expect(reasonProblem("核实\n低保")).toBe("reasonOneLine");
    expect(reasonProblem("𠮷𠮷")).toBe("");
  });

  it("reads the zone's cadre and committee member, either may be missing", () => {
    const cadre = { kind: "RESPONSIBILITY_KIND_ZONE_CADRE", staff_name: "王建国" };
    const committee = { kind: "RESPONSIBILITY_KIND_ZONE_COMMITTEE", staff_name: "李秀英" };
    expect(responsiblePair([committee, cadre])).toEqual({ cadre, committee });
    expect(responsiblePair([committee])).toEqual({ cadre: null, committee });
    expect(responsiblePair(undefined)).toEqual({ cadre: null, committee: null });
  });
});
