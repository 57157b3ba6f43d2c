//! "Same region": a resource's region (free text such as 昆明市, 云南省 or
//! 红河哈尼族彝族自治州) against a unit's. The units are central-government units
//! stationed in Yunnan (中央驻滇单位), so a unit without a region of its own is taken
//! to be province-wide, and a province includes its prefectures.

/// The region of a unit that has none recorded.
pub const DEFAULT_REGION: &str = "云南省";

/// The provinces whose prefecture-level divisions are known here.
const PREFECTURES: &[(&str, &[&str])] = &[(
    "云南省",
    &[
        "昆明市",
        "曲靖市",
        "玉溪市",
        "保山市",
        "昭通市",
        "丽江市",
        "普洱市",
        "临沧市",
        "楚雄彝族自治州",
        "红河哈尼族彝族自治州",
        "文山壮族苗族自治州",
        "西双版纳傣族自治州",
        "大理白族自治州",
        "德宏傣族景颇族自治州",
        "怒江傈僳族自治州",
        "迪庆藏族自治州",
    ],
)];

/// `云南省` → `云南`, `昆明市` → `昆明`: the name without its level, so that
/// `云南` and `云南省` compare equal.
fn stem(region: &str) -> &str {
    let region = region.trim();
    for suffix in ["省", "市", "自治州", "州", "地区", "县", "区"] {
        if let Some(stem) = region.strip_suffix(suffix)
            && stem.chars().count() >= 2
        {
            return stem;
        }
    }
    region
}

/// The province a region belongs to, if known (a province belongs to itself).
fn province_of(region: &str) -> Option<&'static str> {
    let s = stem(region);
    PREFECTURES.iter().find_map(|(province, places)| {
        let inside = stem(province) == s
            || region.starts_with(stem(province))
            || places
                .iter()
                .any(|p| stem(p) == s || region.starts_with(stem(p)));
        inside.then_some(*province)
    })
}

/// Whether a resource from `resource` is from the unit's region `unit`: the same
/// place, one inside the other (a prefecture in the unit's province, or the province
/// of the unit's prefecture), or both in one known province.
pub fn same_region(unit: &str, resource: &str) -> bool {
    let (u, r) = (unit.trim(), resource.trim());
    if u.is_empty() || r.is_empty() {
        return false;
    }
    if stem(u) == stem(r) || r.starts_with(stem(u)) || u.starts_with(stem(r)) {
        return true;
    }
    match (province_of(u), province_of(r)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_in_the_province_are_the_same_region() {
        assert!(same_region("云南省", "昆明市"));
        assert!(same_region("云南省", "红河哈尼族彝族自治州"));
        assert!(same_region("云南", "云南省"));
        assert!(same_region("昆明市", "云南省"));
        assert!(same_region("昆明市", "云南省昆明市五华区"));
        assert!(same_region("大理白族自治州", "玉溪市"));
        assert!(!same_region("云南省", "贵州省"));
        assert!(!same_region("云南省", "北京市"));
        assert!(!same_region("云南省", ""));
        assert!(!same_region("", "昆明市"));
    }
}
