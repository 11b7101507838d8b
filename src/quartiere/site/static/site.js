/* quartiere site: the web map of the Handlungsräume. Data come from data/*.js (globals written
   by `quartiere site`); nothing is fetched from the network. */
(function () {
  "use strict";
  var Q = window.QUARTIERE;
  var W = Q.words;
  var LANG = Q.language === "en" ? "en-GB" : "de-DE";
  var CRIT = ["c_mss", "c_schools", "c_atlas"];
  var AREA = "#d95f02";
  var CRIT_COLOURS = { met: "#31688e", not_met: "#f0f0f0", no_data: "#b5b5b5" };
  var ROB = [[0.1, "#f7fbff"], [0.5, "#c6dbef"], [0.9, "#6baed6"], [1.01, "#08519c"]];
  var LMB = [[25, "#ffffd4"], [50, "#fed98e"], [75, "#fe9929"], [1e9, "#cc4c02"]];

  function t(key, values) {
    var text = W[key] !== undefined ? W[key] : key;
    if (values) {
      Object.keys(values).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    }
    return text;
  }
  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function num(value, digits) {
    if (value === null || value === undefined || isNaN(value)) return "–";
    return new Intl.NumberFormat(LANG, { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 }).format(value);
  }
  function pct(share, digits) {
    if (share === null || share === undefined) return "–";
    return num(100 * share, digits || 0) + (Q.language === "en" ? "%" : " %");
  }
  function lmbText(value) {
    return t("lmb_share").replace(/ \(%\)$/, "") + " " + (value === null || value === undefined ? "–" : num(value, 1) + (Q.language === "en" ? "%" : " %"));
  }
  function verdict(flag) { return flag === 1 ? "met" : flag === 0 ? "not_met" : "no_data"; }
  var MARK = { met: "✔ ", not_met: "✘ ", no_data: "? " };
  function classOf(limits, value) {
    for (var i = 0; i < limits.length; i++) if (value < limits[i][0]) return limits[i][1];
    return limits[limits.length - 1][1];
  }

  /* A compact collection ({q, f: [[id, polygons]]}, rings as first point + steps in 1/q degree)
     as GeoJSON; props: id -> properties. */
  function decode(c, props) {
    return {
      type: "FeatureCollection",
      features: c.f.map(function (f) {
        return {
          type: "Feature", id: f[0], properties: props ? props[f[0]] : {},
          geometry: {
            type: "MultiPolygon",
            coordinates: f[1].map(function (polygon) {
              return polygon.map(function (ring) {
                var out = [], x = 0, y = 0;
                for (var i = 0; i < ring.length; i += 2) {
                  x += ring[i]; y += ring[i + 1];
                  out.push([x / c.q, y / c.q]);
                }
                return out;
              });
            })
          }
        };
      })
    };
  }
  var decoded = {};
  function geoOf(name) {
    if (!decoded[name]) decoded[name] = decode(window.QUARTIERE_GEO[name]);
    return decoded[name];
  }

  var loaded = {};
  function loadScript(src) {
    if (!loaded[src]) {
      loaded[src] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = src;
        s.onload = resolve;
        s.onerror = function () { reject(new Error("cannot load " + src)); };
        document.head.appendChild(s);
      });
    }
    return loaded[src];
  }

  var map = L.map("map", { zoomSnap: 0.25, minZoom: 9, maxZoom: 17, keyboard: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.attributionControl.addAttribution(esc(Q.attribution));
  L.control.scale({ imperial: false, maxWidth: 160 }).addTo(map);
  map.createPane("areasPane").style.zIndex = 450;
  map.createPane("labelsPane").style.zIndex = 620;

  var state = { edition: null, data: null, shade: "n", selected: null, layers: {} };
  var visible = { areas: true, districts: true, catchments: false, schools: false };

  function plrFill(id) {
    var p = state.data.plr[id];
    if (!p) return "#ffffff";
    if (state.shade === "n") return Q.colours[String(Math.max(0, p.n || 0))] || "#ffffff";
    if (state.shade === "rob") {
      var r = Q.robustness && state.data.robustness ? Q.robustness.plr[id] : null;
      return r ? classOf(ROB, r.inc) : CRIT_COLOURS.no_data;
    }
    return CRIT_COLOURS[verdict(p.c[Number(state.shade)])];
  }
  function plrStyle(feature) {
    var selected = state.selected === feature.id;
    return {
      fillColor: plrFill(feature.id), fillOpacity: 0.85, color: selected ? "#1f5fbf" : "#8a8a8a",
      weight: selected ? 3.5 : 0.6, className: "plr plr-" + feature.id
    };
  }

  function legend() {
    var html = "";
    var sw = function (colour, label, extra) {
      return '<div><span class="sw" style="background:' + colour + (extra || "") + '"></span>' + esc(label) + "</div>";
    };
    if (state.shade === "n") {
      for (var k = 0; k <= 3; k++) html += sw(Q.colours[String(k)], t("criteria_" + k));
    } else if (state.shade === "rob") {
      var bounds = ["0–10", "10–50", "50–90", "90–100"];
      html += "<div>" + esc(t("site.shade_robustness")) + "</div>";
      ROB.forEach(function (c, i) { html += sw(c[1], bounds[i] + (Q.language === "en" ? "%" : " %")); });
      html += sw(CRIT_COLOURS.no_data, t("no_data"));
    } else {
      html += "<div>" + esc(t(CRIT[Number(state.shade)] + "_long")) + "</div>";
      ["met", "not_met", "no_data"].forEach(function (v) { html += sw(CRIT_COLOURS[v], t(v)); });
    }
    if (visible.areas) html += '<div><span class="line"></span>' + esc(t("site.layer_areas")) + "</div>";
    if (visible.districts) html += '<div><span class="line" style="border-top:2px solid #333"></span>' + esc(t("site.layer_districts")) + "</div>";
    if (visible.catchments) {
      html += "<div>" + esc(t("lmb_share")) + "</div>";
      var names = ["0–25", "25–50", "50–75", "≥ 75"];
      LMB.forEach(function (c, i) { html += sw(c[1], names[i]); });
      html += '<div><span class="sw" style="background:#fff;border:2px dashed #333"></span>' + esc(t("site.estimate_dashed")) + "</div>";
      html += '<div><span class="sw" style="background:#fff;border:2px solid #333"></span>' + esc(t("site.official_solid")) + "</div>";
    }
    if (visible.schools) {
      html += '<div><span class="sw" style="border-radius:50%;background:#fff;border:2px solid #111"></span>' + esc(t("site.school_estimate")) + "</div>";
      html += '<div><span class="sw" style="border-radius:50%;background:#111;border:2px solid #111"></span>' + esc(t("site.school_official")) + "</div>";
    }
    legendBody.innerHTML = html;
  }
  var legendBody;
  var Legend = L.Control.extend({
    options: { position: "topright" },
    onAdd: function () {
      var box = L.DomUtil.create("details", "legend");
      box.open = window.innerWidth > 760;
      box.innerHTML = "<summary>" + esc(t("site.legend")) + "</summary>";
      legendBody = L.DomUtil.create("div", "legend-body", box);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });
  map.addControl(new Legend());

  function focusable(layer, label, onEnter) {
    var el = layer.getElement ? layer.getElement() : null;
    if (!el) return;
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", label);
    el.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); onEnter(); }
    });
  }

  function draw() {
    var d = state.data;
    Object.keys(state.layers).forEach(function (k) { map.removeLayer(state.layers[k]); });
    state.layers = {};
    if (!d.areaFeatures) d.areaFeatures = decode(d.areas.shapes, d.areas.props);
    state.layers.plr = L.geoJSON(geoOf(d.plr_geo), {
      style: plrStyle,
      onEachFeature: function (feature, layer) {
        layer.on("click", function () { selectPlr(feature.id, false); });
        layer.on("add", function () {
          var p = d.plr[feature.id] || {};
          focusable(layer, t("site.plr") + " " + feature.id + " " + (p.nm || ""), function () { selectPlr(feature.id, false); });
        });
      }
    });
    state.layers.districts = L.geoJSON(geoOf(d.districts_geo), {
      interactive: false, style: { fill: false, color: "#333", weight: 2, opacity: 0.9 }
    });
    state.layers.catchments = L.geoJSON(geoOf(d.esb_geo), {
      style: function (f) {
        var e = d.esb[f.id] || {};
        return {
          fillColor: e.lmb === null || e.lmb === undefined ? "#ffffff" : classOf(LMB, e.lmb),
          fillOpacity: e.lmb === null || e.lmb === undefined ? 0.1 : 0.6, color: "#333",
          weight: e.f === 1 ? 2 : 1, dashArray: e.src === "official" ? null : "5 4"
        };
      },
      onEachFeature: function (f, layer) {
        var e = d.esb[f.id] || {};
        layer.bindTooltip(esc(t("catchment") + " " + f.id + ": " + lmbText(e.lmb) + " (" + t(e.src === "official" ? "official" : "estimate") + ")"), { sticky: true });
        layer.on("click", function () { selectCatchment(f.id); });
      }
    });
    state.layers.areas = L.geoJSON(d.areaFeatures, {
      pane: "areasPane", interactive: false,
      style: { fill: false, color: AREA, weight: 3.2, opacity: 0.95 }
    });
    var labels = d.areaFeatures.features.map(function (f) {
      var m = L.marker(f.properties.at, {
        pane: "labelsPane", keyboard: true, title: t("handlungsraum") + " " + f.id + " " + (f.properties.nm || ""),
        alt: t("handlungsraum") + " " + f.id,
        icon: L.divIcon({ className: "hr-label", html: esc(f.id), iconSize: null })
      });
      m.on("click", function () { selectArea(f.id, true); });
      return m;
    });
    state.layers.labels = L.layerGroup(labels);
    state.layers.schools = L.layerGroup((d.schools || []).map(function (s) {
      var official = s.src === "official";
      return L.circleMarker(s.at, {
        radius: 4.5, color: "#111", weight: 1.6, fillColor: official ? "#111" : "#fff", fillOpacity: 1
      }).bindTooltip(esc((s.nm || s.id) + ": " + lmbText(s.lmb) + " (" + t(official ? "official" : "estimate") + ")"));
    }));
    state.layers.plr.addTo(map);
    syncLayers();
  }

  function syncLayers() {
    var order = [["catchments", "catchments"], ["districts", "districts"], ["areas", "areas"], ["labels", "areas"], ["schools", "schools"]];
    order.forEach(function (o) {
      var layer = state.layers[o[0]];
      if (!layer) return;
      if (visible[o[1]]) { if (!map.hasLayer(layer)) layer.addTo(map); } else if (map.hasLayer(layer)) map.removeLayer(layer);
    });
    legend();
  }

  function currentEdition() {
    return Q.editions.filter(function (e) { return e.key === state.edition; })[0];
  }

  function source(key) { var s = state.data.sources || {}; return s[key] || ""; }

  function selectPlr(id, zoom) {
    var d = state.data, p = d.plr[id];
    if (!p) return;
    var previous = state.selected;
    state.selected = id;
    state.layers.plr.eachLayer(function (layer) {
      if (layer.feature.id === id || layer.feature.id === previous) layer.setStyle(plrStyle(layer.feature));
      if (layer.feature.id === id) {
        layer.bringToFront();
        if (zoom) map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [40, 40] });
      }
    });
    var rows = [];
    var mssValue = p.c[0] === null ? t("site.mss_nodata") : t("site.mss_value", { status: esc(p.st || "–"), dynamic: esc(p.dy || "–") });
    rows.push([0, mssValue, source("input_year.mss")]);
    var sch = p.ls === null ? t("site.schools_nodata") : t("site.schools_value", { share: pct(p.ls) });
    if (p.w && p.w.length) {
      sch += "<br><span class=\"small\">" + esc(t("site.weights")) + ":</span><ul>" + p.w.map(function (w) {
        var e = d.esb[w[0]] || {};
        var lmb = e.lmb === null || e.lmb === undefined ? t("no_data") :
          lmbText(e.lmb) + ", " + t(e.src === "official" ? "official" : "estimate") + ", " + t(e.f === 1 ? "site.above" : "site.below");
        return "<li>" + esc(t("catchment") + " " + w[0] + ": " + pct(w[1]) + " — " + lmb) + "</li>";
      }).join("") + "</ul>";
    }
    rows.push([1, sch, [source("input_year.catchments"), source("input_year.schools"), "lmb: " + source("lmb_source")].filter(Boolean).join("; ")]);
    var atlas = p.av === null ? t("site.atlas_nodata") : t("site.atlas_value", { value: num(p.av, 3), stratum: num(p.as) });
    atlas += " <em>(" + esc(t("site.approximation")) + ")</em>";
    rows.push([2, atlas, [source("input_year.atlas"), source("atlas_cut")].filter(Boolean).join("; ")]);
    var html = "<h3>" + esc(t("site.plr") + " " + id + " " + (p.nm || "")) + "</h3>";
    html += "<dl><dt>" + esc(t("site.bzr")) + "</dt><dd>" + esc(p.bzr) + "</dd><dt>" + esc(t("site.bezirk")) + "</dt><dd>" + esc(p.bz) + "</dd>";
    html += "<dt>" + esc(t("inhabitants")) + "</dt><dd>" + num(p.pop) + ' <span class="small">(' + esc(source("input_year.population")) + ")</span></dd></dl>";
    html += '<p class="membership">' + (p.hr ? esc(t("site.in_area", { hr: p.hr })) + ' <button type="button" class="linklike" data-area="' + esc(p.hr) + '">' + esc(t("site.show_area", { hr: p.hr })) + "</button>" : esc(t("site.outside"))) + "</p>";
    html += '<table class="criteria"><thead><tr><th scope="col">' + esc(t("site.criterion")) + '</th><th scope="col">' + esc(t("site.verdict")) + "</th></tr></thead><tbody>";
    rows.forEach(function (r) {
      var v = verdict(p.c[r[0]]);
      html += '<tr data-criterion="' + CRIT[r[0]] + '"><th scope="row">' + esc(t(CRIT[r[0]] + "_long")) + '</th><td><span class="verdict-' + v + '">' + MARK[v] + esc(t(v)) + "</span><br>" + r[1] + (r[2] ? '<br><span class="small">' + esc(t("site.source")) + ": " + esc(r[2]) + "</span>" : "") + "</td></tr>";
    });
    html += "</tbody></table>";
    html += "<h4>" + esc(t("site.decision")) + '</h4><p class="decision">' + esc(p.d) + "</p>";
    html += robustnessHtml(id);
    show(html);
  }

  function robustnessHtml(id) {
    var R = Q.robustness;
    if (!R) return "";
    var html = "<h4>" + esc(t("site.robustness")) + "</h4>";
    if (!state.data.robustness) return html + "<p>" + esc(t("site.rob_absent")) + "</p>";
    var r = R.plr[id];
    if (!r) return html + "<p>" + esc(t("no_data")) + "</p>";
    html += "<p>" + esc(t("site.rob_value", { inc: pct(r.inc), n: num(R.n), cls: R.classes[r.cls] || r.cls })) + "</p>";
    if (r.flips.length) {
      html += "<p>" + esc(t("site.rob_flips")) + "</p><ul>" + r.flips.map(function (f) {
        return "<li>" + esc(f[0] + " (" + f[1] + "): " + pct(f[2])) + "</li>";
      }).join("") + "</ul>";
    } else {
      html += "<p>" + esc(t("site.rob_none")) + "</p>";
    }
    return html;
  }

  function selectArea(hr, zoom) {
    var d = state.data;
    var f = d.areaFeatures.features.filter(function (a) { return a.id === hr; })[0];
    if (!f) return;
    var a = f.properties, ed = currentEdition();
    if (zoom) map.fitBounds(L.geoJSON(f).getBounds(), { padding: [30, 30] });
    var html = "<h3>" + esc(t("handlungsraum") + " " + hr + " " + (a.nm || "")) + "</h3>";
    html += "<dl><dt>" + esc(t("site.bezirk")) + "</dt><dd>" + esc(a.bz) + "</dd>";
    html += "<dt>" + esc(t("inhabitants")) + "</dt><dd>" + num(a.pop) + "</dd>";
    html += "<dt>" + esc(t("area_km2")) + "</dt><dd>" + num(a.km2, 2) + "</dd>";
    html += "<dt>" + esc(t("n_plr")) + "</dt><dd>" + num(a.n_plr) + "</dd>";
    CRIT.forEach(function (c, i) {
      html += "<dt>" + esc(t(c) + ": " + t("site.plr_meeting")) + "</dt><dd>" + num(a.nc[i]) + "</dd>";
    });
    html += "</dl>";
    if (ed.profiles.indexOf(hr) >= 0) {
      html += '<p><a href="profiles/' + encodeURIComponent(hr) + '.html">' + esc(t("site.profile_html")) + '</a> · <a href="profiles/' + encodeURIComponent(hr) + '.pdf">' + esc(t("site.profile_pdf")) + "</a></p>";
    } else {
      html += '<p class="small">' + esc(t("site.no_profile")) + "</p>";
    }
    var R = Q.robustness;
    if (R && d.robustness && R.areas[hr] && R.areas[hr].nm === a.nm) {
      html += "<h4>" + esc(t("site.robustness")) + "</h4><p>" + esc(t("site.rob_stability", { stability: pct(R.areas[hr].stability) })) + "</p>";
    }
    var members = Object.keys(d.plr).filter(function (id) { return d.plr[id].hr === hr; }).sort();
    html += "<h4>" + esc(t("n_plr")) + "</h4><ul>" + members.map(function (id) {
      return '<li><button type="button" class="linklike" data-plr="' + esc(id) + '">' + esc(id + " " + (d.plr[id].nm || "")) + "</button></li>";
    }).join("") + "</ul>";
    show(html);
  }

  function selectCatchment(id) {
    var e = state.data.esb[id] || {};
    var schools = (state.data.schools || []).filter(function (s) { return s.esb === id; });
    var html = "<h3>" + esc(t("catchment") + " " + id) + "</h3><p>" + esc(lmbText(e.lmb) + " (" + t(e.src === "official" ? "official" : "estimate") + ")") + "</p>";
    if (schools.length) html += "<ul>" + schools.map(function (s) { return "<li>" + esc((s.nm || s.id) + ": " + lmbText(s.lmb)) + "</li>"; }).join("") + "</ul>";
    show(html);
  }

  function show(html) {
    var body = document.getElementById("detail-body");
    body.innerHTML = html;
    document.getElementById("details").scrollIntoView({ block: "nearest" });
  }

  document.getElementById("detail-body").addEventListener("click", function (ev) {
    var target = ev.target.closest("button");
    if (!target) return;
    if (target.dataset.area) selectArea(target.dataset.area, true);
    if (target.dataset.plr) selectPlr(target.dataset.plr, true);
  });

  function changesHtml(ed) {
    if (!ed.changes) {
      var past = Q.editions.filter(function (e) { return e.key !== "build"; });
      if (ed.key === "build") {
        if (!past.length) return "<p>" + esc(t("site.no_history")) + "</p>";
        return "<ul>" + past.map(function (e) {
          return "<li>" + esc(e.label + ": " + t("site.n_areas", { n: num(e.n_areas) })) + "</li>";
        }).join("") + "</ul>";
      }
      return "<p>" + esc(t("site.first_edition")) + "</p>";
    }
    var c = ed.changes;
    var html = "<h3>" + esc(t("site.changes", { old: c.old })) + '</h3><ul class="changes">';
    c.areas.forEach(function (a) {
      if (a.kind === "persisted" && a.extent === "unchanged" && !a.renumbered && !a.d_population) return;
      var old = (a.old_hr_ids || []).join(", "), now = (a.new_hr_ids || []).join(", ");
      var text = t("diff.kind." + a.kind) + ": " + (old || "–") + " → " + (now || "–") + " " + (a.new_name || a.old_name || "");
      if (a.kind === "persisted" && a.extent) text += " (" + t("diff.extent." + a.extent) + ")";
      if (a.d_population) text += "; " + t("inhabitants") + " " + (a.d_population > 0 ? "+" : "") + num(a.d_population);
      html += "<li>" + esc(text) + "</li>";
    });
    html += "</ul>";
    if (c.counts && c.counts.plr_entered !== undefined) {
      html += "<p>" + esc(t("site.plr_changes", { entered: num(c.counts.plr_entered), left: num(c.counts.plr_left) })) + "</p>";
    }
    if (ed.memo) html += '<p><a href="' + esc(ed.memo) + '">' + esc(t("site.memo")) + "</a></p>";
    return html;
  }

  function areaList() {
    var list = document.getElementById("area-list");
    list.innerHTML = state.data.areaFeatures.features.map(function (f) {
      return '<li><button type="button" data-area="' + esc(f.id) + '">' + esc(f.id + " " + (f.properties.nm || "") + " (" + num(f.properties.pop) + ")") + "</button></li>";
    }).join("");
  }
  document.getElementById("area-list").addEventListener("click", function (ev) {
    var b = ev.target.closest("button");
    if (b) selectArea(b.dataset.area, true);
  });

  function facts() {
    var s = state.data.sources || {};
    document.getElementById("facts").innerHTML = Object.keys(s).filter(function (k) { return k !== "attribution"; }).map(function (k) {
      return "<dt>" + esc(k) + "</dt><dd>" + esc(s[k]) + "</dd>";
    }).join("");
  }

  function setEdition(key) {
    var ed = Q.editions.filter(function (e) { return e.key === key; })[0];
    if (!ed) return Promise.resolve();
    return loadScript(ed.script).then(function () {
      return Promise.all(ed.geo.map(loadScript));
    }).then(function () {
      var first = state.data === null;
      state.edition = key;
      state.data = window.QUARTIERE_EDITIONS[key];
      state.selected = null;
      draw();
      if (first) map.fitBounds(state.layers.plr.getBounds(), { padding: [10, 10] });
      var count = document.getElementById("area-count");
      count.textContent = t("site.n_areas", { n: num(ed.n_areas) });
      count.dataset.n = String(ed.n_areas);
      document.getElementById("changes-body").innerHTML = changesHtml(ed);
      document.getElementById("detail-body").innerHTML = "<p>" + esc(t("site.hint")) + "</p>";
      areaList();
      facts();
      document.body.dataset.edition = key;
      document.body.dataset.ready = "1";
    });
  }

  var select = document.getElementById("edition");
  var history = Q.editions.filter(function (e) { return e.key !== "build"; });
  Q.editions.forEach(function (e) {
    if (e.key !== "build") return;
    var o = document.createElement("option");
    o.value = e.key; o.textContent = e.label;
    select.appendChild(o);
  });
  if (history.length) {
    var group = document.createElement("optgroup");
    group.label = t("site.history_group");
    history.forEach(function (e) {
      var o = document.createElement("option");
      o.value = e.key; o.textContent = e.label + (e.is_build ? " (" + t("site.this_build") + ")" : "");
      group.appendChild(o);
    });
    select.appendChild(group);
  }
  select.value = Q.default;
  select.addEventListener("change", function () { document.body.dataset.ready = "0"; setEdition(select.value); });

  document.querySelectorAll('input[name="shade"]').forEach(function (input) {
    input.addEventListener("change", function () {
      state.shade = input.value;
      if (state.layers.plr) state.layers.plr.setStyle(plrStyle);
      legend();
    });
  });
  document.querySelectorAll('input[name="layer"]').forEach(function (input) {
    input.addEventListener("change", function () { visible[input.value] = input.checked; syncLayers(); });
  });

  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ß/g, "ss");
  }
  function search(query) {
    var q = fold(query.trim());
    var out = [];
    if (!q || !state.data) return out;
    Object.keys(state.data.plr).sort().forEach(function (id) {
      var p = state.data.plr[id];
      if (id.indexOf(q) === 0 || fold(p.nm).indexOf(q) >= 0 || fold(p.bzr).indexOf(q) >= 0) out.push(id);
    });
    return out;
  }
  var results = document.getElementById("search-results");
  document.getElementById("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var found = search(document.getElementById("search").value);
    if (!found.length) { results.innerHTML = "<li>" + esc(t("site.no_match")) + "</li>"; return; }
    results.innerHTML = "<li>" + esc(t("site.matches", { n: num(found.length) })) + "</li>" + found.slice(0, 20).map(function (id) {
      return '<li><button type="button" data-plr="' + esc(id) + '">' + esc(id + " " + (state.data.plr[id].nm || "") + " (" + (state.data.plr[id].bz || "") + ")") + "</button></li>";
    }).join("");
    if (found.length === 1) selectPlr(found[0], true);
  });
  results.addEventListener("click", function (ev) {
    var b = ev.target.closest("button");
    if (b) selectPlr(b.dataset.plr, true);
  });

  window.quartiereSite = { map: map, setEdition: setEdition, selectPlr: selectPlr, selectArea: selectArea, state: state };
  setEdition(Q.default);
})();
