// Filters for the Palisade HTML report: severity, guide section, namespace, suppressed, and
// text search. The page shows everything without this script; it only hides what does not match.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var items = [], owner = [], objects = [], groupOf = [];
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));
  // One pass over the tree: which object each finding belongs to, which group each object.
  groups.forEach(function (g, gi) {
    Array.prototype.forEach.call(g.querySelectorAll("div.obj"), function (o) {
      var oi = objects.length;
      objects.push(o);
      groupOf.push(gi);
      Array.prototype.forEach.call(o.querySelectorAll("article.f"), function (e) {
        items.push(e);
        owner.push(oi);
      });
    });
  });
  // The searchable text, read on the first search only: reading it lays nothing out, but there
  // is no need to pay for it when nobody searches.
  var texts = null;
  var count = document.getElementById("shown");
  var search = form.elements.namedItem("q");
  var section = form.elements.namedItem("section");
  var namespace = form.elements.namedItem("namespace");
  var suppressed = form.elements.namedItem("suppressed");
  function apply() {
    var severities = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[name=sev]"), function (c) {
      severities[c.value] = c.checked;
    });
    var q = search.value.trim().toLowerCase();
    if (q !== "" && texts === null) {
      texts = items.map(function (e) { return e.textContent.toLowerCase(); });
    }
    var sec = section.value, ns = namespace.value, sup = suppressed.checked;
    var perObject = objects.map(function () { return 0; });
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var e = items[i], d = e.dataset;
      var ok = severities[d.sev] !== false &&
        (sec === "" || (" " + d.sec + " ").indexOf(" " + sec + " ") >= 0) &&
        (ns === "" || d.ns === ns) &&
        (sup || !e.classList.contains("sup")) &&
        (q === "" || texts[i].indexOf(q) >= 0);
      e.hidden = !ok;
      if (ok) { shown++; perObject[owner[i]]++; }
    }
    var perGroup = groups.map(function () { return 0; });
    for (var j = 0; j < objects.length; j++) {
      objects[j].hidden = perObject[j] === 0;
      perGroup[groupOf[j]] += perObject[j];
    }
    for (var k = 0; k < groups.length; k++) { groups[k].hidden = perGroup[k] === 0; }
    count.textContent = shown + " of " + items.length + " findings shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-section]"), function (a) {
    a.addEventListener("click", function () { section.value = a.dataset.section; apply(); });
  });
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });
  window.palisadeApply = apply;
  count.textContent = items.length + " of " + items.length + " findings shown";
})();
