//! Text documents as blocks the resource page lays out: Markdown's headings, lists
//! and quotes are read, everything else stays literal text (the template escapes it).

/// What a block of a text document is, which decides its HTML element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
    Quote,
}

/// A block of a text document.
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
}

/// Splits text into blocks; Markdown marks for headings, lists and quotes are read,
/// everything else stays literal text (the template escapes it).
pub fn blocks(text: &str, markdown: bool) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            out.push(Block {
                kind: BlockKind::Paragraph,
                text: paragraph.join("\n"),
            });
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            continue;
        }
        if markdown {
            let plain = |s: &str| s.replace("**", "").replace('`', "").trim().to_owned();
            if let Some(rest) = trimmed.strip_prefix('#') {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: BlockKind::Heading,
                    text: plain(rest.trim_start_matches('#')),
                });
                continue;
            }
            let item = trimmed
                .strip_prefix("- ")
                .or_else(|| trimmed.strip_prefix("* "))
                .or_else(|| {
                    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
                    (digits > 0)
                        .then(|| trimmed[digits..].strip_prefix(". "))
                        .flatten()
                });
            if let Some(item) = item {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: BlockKind::ListItem,
                    text: plain(item),
                });
                continue;
            }
            if let Some(quote) = trimmed.strip_prefix('>') {
                flush(&mut paragraph, &mut out);
                out.push(Block {
                    kind: BlockKind::Quote,
                    text: plain(quote),
                });
                continue;
            }
            paragraph.push(trimmed);
        } else {
            paragraph.push(line.trim_end());
        }
    }
    flush(&mut paragraph, &mut out);
    for block in &mut out {
        if markdown {
            block.text = block.text.replace("**", "");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_blocks_of_plain_text() {
        let text = "# 标题\n\n第一段**重点**\n续行\n\n- 一\n2. 二\n> 引用\n<script>x</script>";
        let blocks = blocks(text, true);
        let kinds: Vec<_> = blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Heading,
                BlockKind::Paragraph,
                BlockKind::ListItem,
                BlockKind::ListItem,
                BlockKind::Quote,
                BlockKind::Paragraph
            ]
        );
        assert_eq!(blocks[0].text, "标题");
        assert_eq!(blocks[1].text, "第一段重点\n续行");
        // Tags stay text; the template escapes them.
        assert_eq!(blocks[5].text, "<script>x</script>");
        let plain = super::blocks("# 不是标题\n\n第二段", false);
        assert_eq!(plain[0].kind, BlockKind::Paragraph);
        assert_eq!(plain[0].text, "# 不是标题");
    }
}
