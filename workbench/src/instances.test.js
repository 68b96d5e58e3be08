// Which intake the workbench works at: a department's instance for its own
// people (and the district's beside it), the district's for everyone else;
// an intake route's path at the chosen instance; how an instance is named.
import { describe, expect, it } from "vitest";
import { chosenInstance, departmentOf, instanceLabel, intakePath, validInstance, withInstanceLabels, workableInstances }
  from "./instances.js";

const REACHED = ["intake", "intake@civil-affairs"];
const t = (key, values = {}) => ({ "instances.district": "区受理平台", "instances.department": `${values.name}受理平台` })[key];

describe("the intakes a person may work at", () => {
  it("are their department's instance first, then the district's", () => {
    expect(workableInstances("intake@civil-affairs", REACHED)).toEqual(["intake@civil-affairs", "intake"]);
  });
  it("are the district's alone for a district account", () => {
    expect(workableInstances("", REACHED)).toEqual(["intake"]);
    expect(workableInstances("intake", REACHED)).toEqual(["intake"]);
  });
  it("leave out an instance the gateway does not reach, or a malformed name", () => {
    expect(workableInstances("intake@housing", REACHED)).toEqual(["intake"]);
    expect(workableInstances("intake@../x", [...REACHED, "intake@../x"])).toEqual(["intake"]);
  });
});

describe("the intake worked at now", () => {
  it("is the stored choice while it is still workable", () => {
    expect(chosenInstance("intake", "intake@civil-affairs", REACHED)).toBe("intake");
    expect(chosenInstance("intake@civil-affairs", "intake@civil-affairs", REACHED)).toBe("intake@civil-affairs");
  });
  it("is the person's own otherwise (nothing stored, another's, no longer reached)", () => {
    expect(chosenInstance("", "intake@civil-affairs", REACHED)).toBe("intake@civil-affairs");
    expect(chosenInstance("intake@civil-affairs", "", REACHED)).toBe("intake");
    expect(chosenInstance("intake@civil-affairs", "intake@civil-affairs", ["intake"])).toBe("intake");
  });
});

describe("an intake route at an instance", () => {
  it("is the route itself at the district's", () => {
    expect(intakePath("intake", "/v1/intake/cases/7/history")).toBe("/v1/intake/cases/7/history");
    expect(intakePath("", "/v1/intake/cases")).toBe("/v1/intake/cases");
  });
  it("goes under /v1/instances/<instance>/ at a department's", () => {
    expect(intakePath("intake@civil-affairs", "/v1/intake/cases/7/handoff"))
      .toBe("/v1/instances/intake@civil-affairs/intake/cases/7/handoff");
  });
  it("refuses a path of another service and a name that is not an instance", () => {
    expect(() => intakePath("intake@civil-affairs", "/v1/grid/units")).toThrow(/not an intake route/);
    expect(() => intakePath("intake@a/../b", "/v1/intake/cases")).toThrow(/not an instance/);
    expect(validInstance("Intake@X")).toBe(false);
    expect(validInstance("intake@civil-affairs")).toBe(true);
  });
});

describe("an instance's name", () => {
  it("is the district's, or the department's by grid's name, its code when unknown", () => {
    expect(departmentOf("intake@civil-affairs")).toBe("civil-affairs");
    expect(departmentOf("intake")).toBe("");
    expect(instanceLabel("intake", {}, t)).toBe("区受理平台");
    expect(instanceLabel("intake@civil-affairs", { "civil-affairs": "四方区民政局" }, t)).toBe("四方区民政局受理平台");
    expect(instanceLabel("intake@civil-affairs", {}, t)).toBe("civil-affairs受理平台");
  });
});

describe("intake's words naming instances", () => {
  const label = i => instanceLabel(i, { "civil-affairs": "民政局" }, t);
  it("read with each instance's name, the longest first, each whole", () => {
    expect(withInstanceLabels("移交 intake@civil-affairs：临时救助", REACHED, label)).toBe("移交 民政局受理平台：临时救助");
    expect(withInstanceLabels("由 intake 移交，原案件 SF1（#1）", REACHED, label)).toBe("由 区受理平台 移交，原案件 SF1（#1）");
    expect(withInstanceLabels("intake", REACHED, label)).toBe("区受理平台");
  });
  it("leave other words and unreached instances as written", () => {
    expect(withInstanceLabels("intakes of intake@housing", REACHED, label)).toBe("intakes of intake@housing");
    expect(withInstanceLabels("", REACHED, label)).toBe("");
  });
});
