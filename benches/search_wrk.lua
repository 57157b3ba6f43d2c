-- wrk load for GET /api/v1/search.
-- Usage: wrk -t2 -c16 -d20s --latency -s benches/search_wrk.lua \
--          -H "Cookie: jingshi_session=TOKEN" http://127.0.0.1:8080
-- By default a fixed rotation of 14 real queries (mostly answered from the server's
-- answer cache after the first round). With QUERIES=FILE, one query per line of FILE
-- instead (benches/law_title_queries.sh writes 1,500 distinct ones, which defeat the cache).
local words = {
  "八项规定", "挪用公款", "贿", "人民共和国", "受贿罪", "刑法修正案(十一)",
  "监察法 留置", "政务处分", "国家工作人员 利用职务上的便利", "贪污 挪用",
  "\"滥用职权\"", "公务员 处分 -开除", "中组发〔2023〕6号", "国有企业管理人员",
}
local file = os.getenv("QUERIES")
if file and file ~= "" then
  words = {}
  for line in io.lines(file) do
    if line ~= "" then words[#words + 1] = line end
  end
end
local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local paths = {}
for i, w in ipairs(words) do paths[i] = "/api/v1/search?q=" .. encode(w) end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
