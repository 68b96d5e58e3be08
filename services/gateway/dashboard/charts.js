/* Hand-made SVG charts for the dashboard: grouped horizontal bars, one row
   per unit, each series a colour; no library. */
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function element(name, attributes, text) {
    const node = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function format(value) {
    if (!Number.isFinite(value)) return "–";
    return value.toLocaleString("en", { maximumFractionDigits: Number.isInteger(value) ? 0 : 1 });
  }

  /* rows: [{label, values: [n, ...]}]; series: [{name, colour}]. Returns an
     SVG element with a legend above it in a div. */
  function bars(rows, series, options = {}) {
    const wrap = document.createElement("div");
    const legend = document.createElement("div");
    legend.className = "legend";
    for (const s of series) {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = s.colour;
      item.append(swatch, s.name);
      legend.append(item);
    }
    wrap.append(legend);
    const labelWidth = options.labelWidth || 150;
    const barHeight = 12;
    const rowHeight = series.length * (barHeight + 2) + 8;
    const width = 640;
    const plot = width - labelWidth - 60;
    const height = Math.max(rowHeight * rows.length + 10, 30);
    const max = Math.max(1, ...rows.flatMap(r => r.values.filter(Number.isFinite)));
    const svg = element("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
                                 "aria-label": options.title || "chart" });
    svg.append(element("line", { class: "axis", x1: labelWidth, y1: 0, x2: labelWidth, y2: height }));
    rows.forEach((row, i) => {
      const top = i * rowHeight + 4;
      svg.append(element("text", { x: labelWidth - 6, y: top + rowHeight / 2, "text-anchor": "end",
                                   "dominant-baseline": "middle" }, row.label));
      row.values.forEach((value, j) => {
        const y = top + j * (barHeight + 2);
        const length = Number.isFinite(value) ? Math.max(0, (value / max) * plot) : 0;
        const bar = element("rect", { x: labelWidth + 1, y, width: length, height: barHeight,
                                      fill: series[j].colour, "data-value": value });
        bar.append(element("title", {}, `${row.label}: ${series[j].name} ${format(value)}`));
        svg.append(bar);
        svg.append(element("text", { x: labelWidth + length + 4, y: y + barHeight - 2 }, format(value)));
      });
    });
    wrap.append(svg);
    return wrap;
  }

  return { bars, format };
})();
