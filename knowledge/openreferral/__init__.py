"""Open Referral UK (HSDS 3) import and export."""
