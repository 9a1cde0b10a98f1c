//! ep-attachments
