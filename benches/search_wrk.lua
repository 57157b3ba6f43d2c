-- wrk load for GET /api/v1/search: a fixed rotation of real queries (URL-encoded).
-- Usage: wrk -t2 -c16 -d20s --latency -s benches/search_wrk.lua \
--          -H "Cookie: jingshi_session=TOKEN" http://127.0.0.1:8080
local words = {
  "八项规定", "挪用公款", "贿", "人民共和国", "受贿罪", "刑法修正案(十一)",
  "监察法 留置", "政务处分", "国家工作人员 利用职务上的便利", "贪污 挪用",
  "\"滥用职权\"", "公务员 处分 -开除", "中组发〔2023〕6号", "国有企业管理人员",
}
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
