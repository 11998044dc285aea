(function () {
  "use strict";
  var controls = ["pillar", "severity", "status", "area"].map(function (key) {
    return [key, document.getElementById("f-" + key)];
  });
  var search = document.getElementById("f-resource");
  var counter = document.getElementById("f-count");
  var rules = Array.prototype.slice.call(document.querySelectorAll(".rule"));
  function statusMatches(wanted, row) {
    if (wanted === "all") { return true; }
    if (wanted === "open") { return row.dataset.status === "fail" || row.dataset.status === "unknown"; }
    return row.dataset.status === wanted;
  }
  function apply() {
    var wanted = {};
    controls.forEach(function (pair) { wanted[pair[0]] = pair[1].value; });
    var text = search.value.trim().toLowerCase();
    var shown = 0;
    rules.forEach(function (rule) {
      var ruleMatches = (wanted.pillar === "all" || rule.dataset.pillars.split(" ").indexOf(wanted.pillar) >= 0) &&
        (wanted.severity === "all" || rule.dataset.severity === wanted.severity) &&
        (wanted.area === "all" || rule.dataset.area === wanted.area);
      var visible = 0;
      Array.prototype.forEach.call(rule.querySelectorAll("tr.finding"), function (row) {
        var keep = ruleMatches && statusMatches(wanted.status, row) &&
          (text === "" || row.dataset.resource.indexOf(text) >= 0);
        row.hidden = !keep;
        if (keep) { visible += 1; }
      });
      rule.hidden = visible === 0;
      shown += visible;
    });
    counter.textContent = String(shown);
  }
  controls.forEach(function (pair) { pair[1].addEventListener("change", apply); });
  search.addEventListener("input", apply);
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  apply();
}());
