// The form of the job ids qlued gave out on Dropbox (sqooler's create_job_id, and qlued's own code before sqooler):
// `<YYYYmmdd_HHMMSS>-<display>-<username>-<uuid4().hex[:5]>`, e.g. `20230321_114612-fermions-fretchen-cec9c`. Jobs
// imported from such a deployment keep them (storage/sqooler/ids.ts). Display names as sqooler's DisplayNameStr;
// usernames as Django's, without `-` (sqooler splits the id at it) and never starting with `.`: each part is safe as
// one file or folder name.
export const QLUED_JOB_ID_PATTERN = '^([0-9]{8})_([0-9]{6})-([a-z0-9]{1,64})-([A-Za-z0-9_@+][A-Za-z0-9_.@+]{0,149})-([0-9a-f]{5})$';
