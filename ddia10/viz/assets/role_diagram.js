// Lights the edges of the role diagram up to transition k
// (ddia10/viz/state_diagram.py, state_diagram_html).
function (root, D) {
  var edges = root.querySelectorAll("g.edge"), now = root.querySelector(".ddia10-now");
  return function (k) {
    for (var i = 0; i < edges.length; i++) {
      var e = edges[i], steps = e.getAttribute("data-steps");
      var list = steps ? steps.split(",").map(Number) : [];
      var used = list.filter(function (s) { return s < k; }).length;
      e.classList.toggle("on", used > 0);
      e.classList.toggle("now", k > 0 && list.indexOf(k - 1) >= 0);
      var t = e.querySelector("text");
      t.textContent = e.getAttribute("data-label") + (used ? " \u00d7" + used : "");
    }
    now.textContent = k > 0 ? D[k - 1] : "before the first transition";
  };
}
