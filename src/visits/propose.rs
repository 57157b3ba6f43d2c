//! Being written (issue 17).
