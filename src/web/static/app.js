// 警示教育资源库: small enhancements over pages that work without script —
// title completions, the video player's cue list and start time, upload progress,
// printing the loan slip and selecting every row of the queue.
(function () {
  "use strict";

  // Title completions: fill the search box's <datalist> from /api/v1/suggest.
  function setUpSuggestions(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || !window.fetch) return;
    var timer = null;
    var pending = null;
    var last = "";
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      clearTimeout(timer);
      if (q.length === 0) {
        list.replaceChildren();
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
          .then(function (suggestions) {
            var options = (suggestions || []).map(function (s) {
              var option = document.createElement("option");
              option.value = s.title;
              return option;
            });
            list.replaceChildren.apply(list, options);
          })
          .catch(function () { /* a newer keystroke aborted it, or offline: no completions */ });
      }, 150);
    });
  }
  document.querySelectorAll("input[data-suggest]").forEach(setUpSuggestions);

  // On a phone the filters start folded so the results come first.
  var filters = document.querySelector(".facets details");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 760px)").matches) {
    filters.open = false;
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

  // Uploads with a progress bar, straight to the API; without script the form posts.
  var form = document.getElementById("upload");
  if (form && window.FormData && window.XMLHttpRequest) {
    var input = form.querySelector("input[type=file]");
    var progress = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var button = document.getElementById("upload-button");
    var say = function (text, isError) {
      status.textContent = text;
      status.className = "upload-status" + (isError ? " field-error" : "");
    };
    form.addEventListener("submit", function (event) {
      if (!input.files || input.files.length === 0) return;
      event.preventDefault();
      var file = input.files[0];
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-api"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.floor((e.loaded / e.total) * 100);
        progress.value = percent;
        say("正在上传“" + file.name + "”… " + percent + "%", false);
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201 || xhr.status === 200) {
          progress.value = 100;
          say("上传完成：" + file.name + "。正在刷新页面…", false);
          window.location.assign(window.location.pathname + "?notice=uploaded");
        } else {
          progress.hidden = true;
          button.disabled = false;
          say((body && body.error && body.error.message) || ("上传失败（HTTP " + xhr.status + "）"), true);
        }
      });
      xhr.addEventListener("error", function () {
        progress.hidden = true;
        button.disabled = false;
        say("网络中断，上传未完成，请重试。", true);
      });
      progress.hidden = false;
      progress.value = 0;
      button.disabled = true;
      say("正在上传“" + file.name + "”… 0%", false);
      xhr.send(data);
    });
  }

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
