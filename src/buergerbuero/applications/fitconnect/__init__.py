"""FIT-Connect: metadata, envelope export, JWE encryption and the Submission API sender."""
