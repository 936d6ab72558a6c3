-- 008_pack_circulation: a pack is recorded when a commissioner circulates it, not when it is built.
--
-- Building a pack (the preview, a PDF or a DOCX, `hcp pack` without --circulate) records nothing: a draft may be
-- built any number of times. Circulating is an explicit act: one row in `packs` with who (built_by), when
-- (built_at), to whom (sent_to), the data version and the SHA-256 of the file sent. Rows recorded before this
-- migration keep their meaning: is_draft = false rows were treated as circulated, is_draft = true rows never were.

alter table packs add column sent_to varchar;  -- to whom the file was sent, as the commissioner wrote it
