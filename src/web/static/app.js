// 警示教育资源库: small enhancements over pages that work without script —
// title completions, the video player's cue list and start time, upload progress,
// confirmations and the catalogue list's select-all box.
// printing the loan slip and selecting every row of the queue.
(function () {
  "use strict";

  // Completions under the search box from /api/v1/suggest: titles, and words or
  // dictionary terms typed in Chinese or in pinyin (bxgd → 八项规定). Choosing one puts
  // it in the box and searches it; arrows move, Enter chooses, Escape closes.
  function setUpSuggestions(input) {
    var list = document.getElementById(input.getAttribute("data-suggest"));
    if (!list || !window.fetch) return;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var timer = null;
    var pending = null;
    var last = "";
    var active = -1;

    function items() { return list.querySelectorAll("li"); }
    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      var all = items();
      if (all.length === 0) return;
      active = (i + all.length) % all.length;
      all.forEach(function (li, k) { li.setAttribute("aria-selected", k === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
    }
    function choose(text) {
      input.value = text;
      last = text;
      close();
      if (input.form) {
        if (input.form.requestSubmit) input.form.requestSubmit();
        else input.form.submit();
      }
    }
    function show(suggestions) {
      var options = (suggestions || []).map(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = s.title;
        var text = document.createElement("span");
        text.textContent = s.title;
        li.appendChild(text);
        if (s.kind === "term") {
          var hint = document.createElement("small");
          hint.textContent = "检索词";
          li.appendChild(hint);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(s.title); });
        return li;
      });
      list.replaceChildren.apply(list, options);
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
    }

    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      clearTimeout(timer);
      if (q.length === 0) {
        list.replaceChildren();
        close();
        return;
      }
      timer = setTimeout(function () {
        if (pending) pending.abort();
        pending = window.AbortController ? new AbortController() : null;
        fetch("/api/v1/suggest?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
          signal: pending ? pending.signal : undefined
        })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(show)
          .catch(function () { /* a newer keystroke aborted it, or offline: no completions */ });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        mark(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(items()[active].dataset.value);
      } else if (e.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }
  document.querySelectorAll("input[data-suggest]").forEach(setUpSuggestions);

  // On a phone the filters start folded so the results come first.
  var filters = document.querySelector(".facets details");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
    filters.open = false;
  }

  // The viewer's mark over the film (issue 23): it jumps to a random place every few
  // seconds and its clock ticks in the library's time. Fullscreen takes the frame
  // holding film and mark; the video's own fullscreen (its button is hidden, double
  // clicks are stopped) would leave the mark behind, so it is undone if it happens.
  var MARK_MOVE_MS = 4000;
  function setUpMark(video) {
    var frame = document.getElementById("player-frame");
    var overlay = document.getElementById("mark-overlay");
    if (!frame || !overlay) return;
    var clock = overlay.querySelector(".mark-clock");
    var offset = parseInt(overlay.getAttribute("data-zone-offset"), 10) || 0;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var t = new Date(Date.now() + offset * 1000);
      clock.textContent = two(t.getUTCHours()) + ":" + two(t.getUTCMinutes()) + ":" + two(t.getUTCSeconds());
    }
    function move() {
      // Keep clear of the control bar at the bottom.
      var width = Math.max(0, frame.clientWidth - overlay.offsetWidth - 8);
      var height = Math.max(0, frame.clientHeight - overlay.offsetHeight - 56);
      overlay.style.left = Math.round(4 + Math.random() * width) + "px";
      overlay.style.top = Math.round(4 + Math.random() * height) + "px";
    }
    tick();
    move();
    setInterval(tick, 1000);
    setInterval(move, MARK_MOVE_MS);
    // A narrower window (a phone turned, fullscreen left): straight to a place inside.
    window.addEventListener("resize", function () {
      overlay.style.transition = "none";
      move();
      void overlay.offsetWidth;
      overlay.style.transition = "";
    });
    // Taken out of the page (by an extension, say): it comes back, and the film stops.
    new MutationObserver(function () {
      if (!frame.contains(overlay)) {
        video.pause();
        frame.appendChild(overlay);
      }
    }).observe(frame, { childList: true });
    video.addEventListener("dblclick", function (event) {
      event.preventDefault();
      event.stopPropagation();
    });
    var button = document.getElementById("player-fullscreen");
    if (button && frame.requestFullscreen && document.fullscreenEnabled !== false) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else frame.requestFullscreen().catch(function () { /* refused: stays in the page */ });
      });
    }
    document.addEventListener("fullscreenchange", function () {
      if (document.fullscreenElement === video) document.exitFullscreen();
      var full = document.fullscreenElement === frame;
      if (button) {
        button.textContent = full ? "退出全屏" : "全屏";
        button.setAttribute("aria-pressed", full ? "true" : "false");
      }
      move();
    });
  }

  // The player: start at ?t=, seek from the cue list, highlight the current cue.
  var video = document.getElementById("player");
  if (video) {
    var start = parseFloat(video.getAttribute("data-start"));
    if (start > 0) {
      var toStart = function () {
        if (Math.abs(video.currentTime - start) > 0.5) video.currentTime = start;
      };
      if (video.readyState >= 1) toStart();
      else video.addEventListener("loadedmetadata", toStart, { once: true });
    }
    var links = Array.prototype.slice.call(document.querySelectorAll("a[data-seek]"));
    var times = links.map(function (a) { return parseFloat(a.getAttribute("data-seek")); });
    links.forEach(function (link, i) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        video.currentTime = times[i];
        var playing = video.play();
        if (playing && playing.catch) playing.catch(function () { /* autoplay refused: stays paused at the cue */ });
        if (window.history && history.replaceState) {
          history.replaceState(null, "", "?t=" + Math.floor(times[i]));
        }
      });
    });
    setUpMark(video);
    var current = -1;
    video.addEventListener("timeupdate", function () {
      var t = video.currentTime;
      var found = -1;
      for (var i = 0; i < times.length; i++) {
        if (times[i] <= t + 0.05) found = i;
      }
      if (found === current) return;
      if (current >= 0) links[current].removeAttribute("aria-current");
      current = found;
      if (found >= 0) {
        var link = links[found];
        link.setAttribute("aria-current", "true");
        var list = link.closest("ol");
        var item = link.parentElement;
        if (list && item) {
          var top = item.offsetTop - list.offsetTop;
          if (top < list.scrollTop || top > list.scrollTop + list.clientHeight - item.offsetHeight) {
            list.scrollTop = Math.max(0, top - list.clientHeight / 3);
          }
        }
      }
    });
  }

  // Uploads with a progress bar, straight to the API (one request per file, in turn,
  // each with its own line when several are chosen); without script the form posts.
  function setUpUpload(form) {
    var input = form.querySelector("input[type=file]");
    var progress = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button[type=submit]");
    var list = form.querySelector(".upload-list");
    var api = form.getAttribute("data-upload-api");
    var method = form.getAttribute("data-upload-method") || "POST";
    var done = form.getAttribute("data-done") || "uploaded";
    var say = function (text, isError) {
      status.textContent = text;
      status.className = "upload-status" + (isError ? " field-error" : "");
    };
    var line = function (file) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var result = document.createElement("span");
      result.className = "result";
      result.textContent = "等待上传";
      item.append(name, bar, result);
      list.append(item);
      return { item: item, bar: bar, result: result };
    };
    var send = function (file, row, next) {
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open(method, api);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.floor((e.loaded / e.total) * 100);
        progress.value = percent;
        if (row) {
          row.bar.value = percent;
          row.result.textContent = percent + "%";
        }
        say("正在上传“" + file.name + "”… " + percent + "%", false);
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201 || xhr.status === 200) {
          next(null);
        } else {
          next((body && body.error && body.error.message) || ("上传失败（HTTP " + xhr.status + "）"));
        }
      });
      xhr.addEventListener("error", function () { next("网络中断，上传未完成，请重试。"); });
      xhr.send(data);
    };
    form.addEventListener("submit", function (event) {
      if (!input.files || input.files.length === 0) return;
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      var rows = [];
      if (list && files.length > 1) {
        list.replaceChildren();
        list.hidden = false;
        rows = files.map(line);
      }
      var failed = 0;
      var lastError = "";
      var index = 0;
      progress.hidden = false;
      progress.value = 0;
      button.disabled = true;
      var finish = function () {
        if (failed === 0) {
          progress.value = 100;
          say("上传完成。正在刷新页面…", false);
          window.location.assign(window.location.pathname + "?notice=" + done);
          return;
        }
        progress.hidden = true;
        button.disabled = false;
        if (files.length === 1) {
          say(lastError, true);
          return;
        }
        say(failed + " 个文件未上传（原因见下表）；已上传 " + (files.length - failed) +
          " 个，刷新页面后列在文件表中。", true);
        var reload = document.createElement("a");
        reload.href = window.location.pathname + "?notice=" + done;
        reload.textContent = "刷新页面";
        status.append(" ", reload);
      };
      var step = function () {
        if (index === files.length) {
          finish();
          return;
        }
        var file = files[index];
        var row = rows[index];
        say("正在上传“" + file.name + "”… 0%", false);
        send(file, row, function (error) {
          if (error) {
            failed++;
            lastError = "“" + file.name + "”未上传：" + error;
          }
          if (row) {
            row.item.className = error ? "failed" : "done";
            row.bar.value = error ? 0 : 100;
            row.result.textContent = error ? "未上传：" + error : "已上传";
          }
          index++;
          step();
        });
      };
      step();
    });
  }
  if (window.FormData && window.XMLHttpRequest) {
    document.querySelectorAll("form.upload[data-upload-api]").forEach(setUpUpload);
  }

  // The catalogue list: one box selects or clears every row of the page.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = document.getElementById(all.getAttribute("data-select-all"));
    if (!form) return;
    (all.closest("label") || all).hidden = false;
    all.addEventListener("change", function () {
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
  });
})();

// A form posted after the session expired was kept on the server as a draft; after
// signing in again the page opens with `draft=TOKEN`, and the draft's values go back
// into the form that posts to the same place.
(function () {
  var params = new URLSearchParams(window.location.search);
  var token = params.get("draft");
  if (!token) { return; }
  params.delete("draft");
  var rest = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
  fetch("/drafts/" + encodeURIComponent(token), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (draft) {
      if (!draft) { return; }
      var form = Array.prototype.find.call(document.forms, function (f) {
        return new URL(f.action, window.location.href).pathname === draft.action;
      });
      if (!form) { return; }
      var seen = {};
      draft.fields.forEach(function (pair) {
        var name = pair[0], value = pair[1];
        var fields = Array.prototype.filter.call(form.elements, function (el) {
          return el.name === name && el.type !== "hidden" && el.type !== "file" && el.type !== "password";
        });
        fields.forEach(function (el) {
          if (el.type === "checkbox" || el.type === "radio") {
            if (!seen[name]) { el.checked = false; }
            if (el.value === value) { el.checked = true; }
          } else if (el.tagName === "SELECT" && el.multiple) {
            Array.prototype.forEach.call(el.options, function (o) {
              if (!seen[name]) { o.selected = false; }
              if (o.value === value) { o.selected = true; }
            });
          } else {
            el.value = value;
          }
        });
        seen[name] = true;
      });
      var note = document.createElement("p");
      note.className = "notice";
      note.setAttribute("role", "status");
      note.textContent = "已恢复您登录前填写的内容，请检查后再提交。";
      form.parentNode.insertBefore(note, form);
      form.scrollIntoView({ block: "center" });
      var submit = form.querySelector("[type=submit]");
      if (submit) { submit.focus(); }
    });
})();

// The availability calendar: a click on a day fills the request form's dates (a
// period as long as the one chosen) instead of reloading the page, so that what was
// typed stays; the suggested period fills them the same way.
(function () {
  var calendar = document.querySelector(".availability-calendar");
  var form = document.querySelector("form.loan-form");
  if (!form) { return; }
  var start = form.querySelector("input[name=start]");
  var end = form.querySelector("input[name=end]");
  function plusDays(iso, days) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }
  function choose(from, to) {
    start.value = from;
    end.value = to;
    Array.prototype.forEach.call(document.querySelectorAll("table.calendar.avail td"), function (td) {
      var a = td.querySelector("[data-day]");
      var day = a && a.getAttribute("data-day");
      td.classList.toggle("chosen", !!day && day >= from && day <= to);
    });
    start.focus();
  }
  if (calendar) {
    var length = parseInt(calendar.getAttribute("data-length"), 10) || 3;
    calendar.addEventListener("click", function (e) {
      var link = e.target.closest("a[data-day]");
      if (!link) { return; }
      e.preventDefault();
      var day = link.getAttribute("data-day");
      choose(day, plusDays(day, length - 1));
    });
  }
  var suggested = document.querySelector("a[data-suggest-start]");
  if (suggested) {
    suggested.addEventListener("click", function (e) {
      e.preventDefault();
      choose(suggested.getAttribute("data-suggest-start"), suggested.getAttribute("data-suggest-end"));
    });
  }
})();

// The slip's print button and the queue's "select all".
(function () {
  // Buttons that print the page (the loan slip); hidden where there is no script.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // "Select all" for the queue's bulk approval: ticks every row checkbox of its form.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var form = all.getAttribute("data-select-all");
    var boxes = document.querySelectorAll('input[type="checkbox"][form="' + form + '"]');
    if (boxes.length === 0) return;
    all.closest("label").hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
})();

// Forms that undo something ask first (`data-confirm`).
document.addEventListener("submit", function (e) {
  var form = e.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { e.preventDefault(); }
});

// The editor shows a base's fields only for kind base, and the holdings (licences,
// copies) only for the kinds that are lent; without the script all are shown.
(function () {
  var kind = document.getElementById("f-kind");
  if (!kind) return;
  function show() {
    document.querySelectorAll("[data-kind-only]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind-only") !== kind.value;
    });
    document.querySelectorAll("[data-kind-except]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind-except") === kind.value;
    });
  }
  kind.addEventListener("change", show);
  show();
})();

// The basket's format choice takes effect when chosen; without the script its
// button does it.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  if (!select.form) return;
  var button = select.form.querySelector("[data-autosubmit-button]");
  if (button) button.style.display = "none";
  select.addEventListener("change", function () {
    select.form.submit();
  });
});
