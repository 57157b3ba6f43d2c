//! `/librarian/contributions/{id}`: a librarian reviews one contribution — its record,
//! its files (which have a redacted copy, which cannot be rewritten), the conversation
//! with the unit, and the privacy check's findings per field and per file, each in its
//! context with the form to keep it (a reason required) — and acts: redact, return to
//! the unit with comments, publish. The forms post to `review_actions`, which come
//! back here with a notice, or with the refusal beside the form and what was typed.

use askama::Template;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::contributions::{self, ContributionEvent};
use crate::catalog::privacy::StoredFinding;
use crate::catalog::{self, CatalogError, Resource, Status};
use crate::content::{FileKind, FileRole};
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::format;
use crate::web::pages::{Chrome, PageError, Section, pages};
use crate::web::shared::resource_id;

/// One line of the record.
pub struct RecordField {
    pub label: &'static str,
    pub value: String,
}

/// A file of the contribution as the reviewer needs to see it.
pub struct ReviewFile {
    pub id: String,
    pub name: String,
    pub kind_label: &'static str,
    pub role_label: &'static str,
    pub size: String,
    /// A redacted copy: the name of the original it stands in for.
    pub copy_of: Option<String>,
    /// An original that borrowers see only as its redacted copy.
    pub has_redacted_copy: bool,
    /// PDF and video: never rewritten, each finding needs a decision.
    pub not_rewritten: bool,
    pub findings: usize,
    pub open_findings: usize,
}

/// One step of the conversation with the unit.
pub struct EventRow {
    pub label: &'static str,
    pub actor: String,
    pub at: String,
    pub comments: String,
}

/// A finding shown in its context, with its decision or the form to keep it.
pub struct FindingItem {
    pub id: i64,
    pub kind_label: &'static str,
    /// Where in a subtitle file: 字幕第 N 条 (empty elsewhere).
    pub place: String,
    pub before: String,
    pub text: String,
    pub after: String,
    /// Kept as it is: the reason, who and when (Beijing time).
    pub acknowledged: Option<(String, String, String)>,
    /// The refusal of this finding's form, and the reason typed.
    pub error: Option<String>,
    pub typed: String,
}

/// The findings of one field of the record or of one file.
pub struct FindingGroup {
    /// `record` or `file`.
    pub source: &'static str,
    pub heading: String,
    pub items: Vec<FindingItem>,
}

impl FindingGroup {
    pub fn open(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.acknowledged.is_none())
            .count()
    }
}

/// What the forms had typed, and their refusals, shown beside them.
#[derive(Default)]
pub struct Forms {
    pub notice: Option<String>,
    pub redact_error: Option<String>,
    pub keep_surname: bool,
    pub return_error: Option<String>,
    pub comments: String,
    pub publish_error: Option<String>,
    /// A refused acknowledgement of a finding not on the page.
    pub findings_error: Option<String>,
}

#[derive(Template)]
#[template(path = "librarian/review.html")]
pub struct ReviewPage {
    chrome: Chrome,
    id: String,
    title: String,
    status: Status,
    status_label: &'static str,
    unit_name: String,
    share_label: &'static str,
    submitted: String,
    record: Vec<RecordField>,
    files: Vec<ReviewFile>,
    events: Vec<EventRow>,
    groups: Vec<FindingGroup>,
    total: usize,
    open: usize,
    pub(super) forms: Forms,
}
pages!(ReviewPage);

impl ReviewPage {
    fn awaiting(&self) -> bool {
        self.status == Status::Submitted
    }

    fn flagged_files(&self) -> bool {
        self.files.iter().any(|f| f.not_rewritten && f.findings > 0)
    }

    /// Shows a refused acknowledgement beside its finding (or above the findings
    /// when that finding is not on the page).
    pub(super) fn refuse_ack(&mut self, finding: Option<i64>, message: String, typed: String) {
        let item = self
            .groups
            .iter_mut()
            .flat_map(|g| g.items.iter_mut())
            .find(|i| Some(i.id) == finding && i.acknowledged.is_none());
        match item {
            Some(item) => {
                item.error = Some(message);
                item.typed = typed;
            }
            None => self.forms.findings_error = Some(message),
        }
    }
}

/// The Chinese name of a field of the record that findings are stored for.
fn field_label(field: &str) -> &'static str {
    match field {
        "title" => "标题",
        "summary" => "简介",
        "source" => "来源",
        "region" => "地区",
        "tags" => "标签",
        _ => "其他字段",
    }
}

fn event_label(action: &str) -> &'static str {
    match action {
        "submitted" => "单位提交",
        "resubmitted" => "单位修改后重新提交",
        "returned" => "退回单位修改",
        "published" => "审核发布",
        "withdrawn" => "单位撤回",
        _ => "其他",
    }
}

fn record_fields(resource: &Resource) -> Vec<RecordField> {
    let joined = |values: &[String]| values.join("、");
    [
        ("类型", resource.kind_label.to_owned()),
        ("标题", resource.title.clone()),
        ("简介", resource.summary.clone()),
        ("标签", joined(&resource.tags)),
        ("行业", joined(&resource.sectors)),
        ("违纪违法类型", joined(&resource.violations)),
        ("地区", resource.region.clone()),
        ("日期", resource.date.clone().unwrap_or_default()),
        ("来源", resource.source.clone()),
        ("查看方式", format::access_name(resource.access).to_owned()),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(label, value)| RecordField { label, value })
    .collect()
}

/// The files, each redacted copy right after its original.
fn review_files(resource: &Resource, findings: &[StoredFinding]) -> Vec<ReviewFile> {
    let originals = resource.files.iter().filter(|f| f.redacted_of.is_none());
    let ordered = originals.flat_map(|original| {
        let copies = resource
            .files
            .iter()
            .filter(|f| f.redacted_of.as_ref() == Some(&original.id));
        std::iter::once(original).chain(copies)
    });
    // A copy whose original is gone is still listed.
    let orphans = resource.files.iter().filter(|f| {
        f.redacted_of
            .as_ref()
            .is_some_and(|of| !resource.files.iter().any(|o| &o.id == of))
    });
    ordered
        .chain(orphans)
        .map(|file| {
            let kind = FileKind::ALL.into_iter().find(|k| k.mime() == file.mime);
            let of_file = findings
                .iter()
                .filter(|f| f.file_id.as_deref() == Some(file.id.as_str()));
            ReviewFile {
                id: file.id.clone(),
                name: file.name.clone(),
                kind_label: kind.map_or("其他", FileKind::label),
                role_label: file.role.label(),
                size: format::size(file.size),
                copy_of: file.redacted_of.as_ref().map(|original| {
                    resource
                        .files
                        .iter()
                        .find(|f| &f.id == original)
                        .map_or_else(|| original.clone(), |f| f.name.clone())
                }),
                has_redacted_copy: file.has_redacted_copy,
                not_rewritten: kind == Some(FileKind::Pdf) || file.role == FileRole::Video,
                findings: of_file.clone().count(),
                open_findings: of_file.filter(|f| f.acknowledged.is_none()).count(),
            }
        })
        .collect()
}

fn finding_item(finding: StoredFinding) -> FindingItem {
    let place = finding
        .field
        .strip_prefix("cue:")
        .map(|seq| format!("字幕第 {seq} 条"))
        .unwrap_or_default();
    FindingItem {
        id: finding.id,
        kind_label: finding.kind_label,
        place,
        before: finding.before,
        text: finding.text,
        after: finding.after,
        acknowledged: finding
            .acknowledged
            .map(|ack| (ack.reason, ack.by, format::minute(&ack.at))),
        error: None,
        typed: String::new(),
    }
}

/// The findings grouped per field of the record, then per file, in their order.
fn finding_groups(findings: Vec<StoredFinding>) -> Vec<FindingGroup> {
    let mut groups: Vec<(Option<String>, String, FindingGroup)> = Vec::new();
    for finding in findings {
        // A file's findings form one group; a field's, one per field.
        let key = match &finding.file_id {
            Some(file) => (Some(file.clone()), String::new()),
            None => (None, finding.field.clone()),
        };
        let at = groups
            .iter()
            .position(|(file, field, _)| (file, field) == (&key.0, &key.1));
        let index = match at {
            Some(index) => index,
            None => {
                let group = match &finding.file_id {
                    Some(_) => FindingGroup {
                        source: "file",
                        heading: format!("文件：{}", finding.file_name.clone().unwrap_or_default()),
                        items: Vec::new(),
                    },
                    None => FindingGroup {
                        source: "record",
                        heading: format!("目录信息：{}", field_label(&finding.field)),
                        items: Vec::new(),
                    },
                };
                groups.push((key.0, key.1, group));
                groups.len() - 1
            }
        };
        groups[index].2.items.push(finding_item(finding));
    }
    groups.into_iter().map(|(_, _, group)| group).collect()
}

/// Everything the review page shows of contribution `raw_id`; a resource that is not
/// a contribution is not found here.
pub(super) async fn review_page(
    state: &AppState,
    user: &SessionUser,
    raw_id: &str,
) -> Result<ReviewPage, PageError> {
    let id = resource_id(raw_id).map_err(|err| PageError::from(err).for_user(user))?;
    let loaded = state
        .with_conn(move |conn| {
            if !contributions::is_contribution(conn, &id)? {
                return Err(CatalogError::NotFound(id.to_string()));
            }
            let resource = catalog::get_resource(conn, &id)?;
            let events = contributions::events(conn, id.as_str())?;
            let findings = catalog::privacy::findings(conn, id.as_str())?;
            Ok::<_, CatalogError>((resource, events, findings))
        })
        .await
        .map_err(|err| PageError::from(err).for_user(user))?;
    let (resource, events, findings) = loaded;
    let submitted = events
        .iter()
        .rev()
        .find(|e| e.action == "submitted" || e.action == "resubmitted")
        .map(|e| format::minute(&e.at))
        .unwrap_or_default();
    let open = findings.iter().filter(|f| f.acknowledged.is_none()).count();
    Ok(ReviewPage {
        chrome: Chrome::for_user(user, Section::Review),
        record: record_fields(&resource),
        files: review_files(&resource, &findings),
        events: events.into_iter().map(event_row).collect(),
        total: findings.len(),
        open,
        groups: finding_groups(findings),
        status: resource.status,
        status_label: format::status_name(resource.status),
        unit_name: resource
            .contributor_name
            .clone()
            .or_else(|| resource.contributed_by.clone())
            .unwrap_or_default(),
        share_label: resource.share.label(),
        submitted,
        title: resource.title,
        id: resource.id,
        forms: Forms::default(),
    })
}

fn event_row(event: ContributionEvent) -> EventRow {
    EventRow {
        label: event_label(&event.action),
        actor: event.actor,
        at: format::minute(&event.at),
        comments: event.comments,
    }
}

/// What the last form did, as the redirect after it says.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReviewQuery {
    done: String,
    /// After a redaction: files given a copy, fields masked (codes), files flagged,
    /// findings still open.
    copied: Option<usize>,
    fields: String,
    flagged: Option<usize>,
    open: Option<usize>,
}

fn done_notice(query: &ReviewQuery) -> Option<String> {
    Some(match query.done.as_str() {
        "returned" => {
            "已退回单位修改；单位会收到通知，修改后重新提交的投稿会回到待审核列表。".to_owned()
        }
        "published" => "已发布：共享范围内的单位现在可以检索和查看该资料。".to_owned(),
        "acknowledged" => "已确认保留这处信息，理由已记入审计日志。".to_owned(),
        "redacted" => redaction_notice(query),
        _ => return None,
    })
}

/// What a redaction did, in words.
fn redaction_notice(query: &ReviewQuery) -> String {
    let fields: Vec<&str> = query
        .fields
        .split(',')
        .filter(|f| ["title", "summary", "source", "region", "tags"].contains(f))
        .map(field_label)
        .collect();
    let mut parts = vec![match query.copied.unwrap_or(0) {
        0 => "没有需要改写的文件".to_owned(),
        n => format!("已为 {n} 个文件生成脱敏副本（借阅单位只能看到副本）"),
    }];
    if !fields.is_empty() {
        parts.push(format!("已遮盖目录信息：{}", fields.join("、")));
    }
    if let Some(n) = query.flagged.filter(|n| *n > 0) {
        parts.push(format!(
            "{n} 个文件不能自动改写（PDF 与视频），请逐条确认或要求单位替换"
        ));
    }
    parts.push(match query.open.unwrap_or(0) {
        0 => "脱敏检查的发现已全部处理".to_owned(),
        n => format!("还有 {n} 处待处理"),
    });
    format!("{}。", parts.join("；"))
}

pub async fn show_review(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    Path(raw_id): Path<String>,
    PageQuery(query): PageQuery<ReviewQuery>,
) -> Result<ReviewPage, PageError> {
    let mut page = review_page(&state, &user, &raw_id).await?;
    page.forms.notice = done_notice(&query);
    Ok(page)
}
