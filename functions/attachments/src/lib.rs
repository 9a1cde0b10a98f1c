//! The `attachments` function: attachment uploads, malware scanning and downloads.
//! Its endpoints come with their issue; until then it has no route in `template.yaml`
//! and answers 404 to anything.

ep_common::routes! {}
