-- First passwords were once kept in queued SMS texts: remove them. Such
-- messages are now held in the sending process's memory only.
UPDATE notifications SET body = 'e-Mitra: a first password message (text not kept)' WHERE subject = 'e-Mitra login';
