/** The password rules (docs/domain.md "Passwords and logins"), checked as the operator types. */
export function passwordRules(pw: string) {
  return {
    length: pw.length >= 8,
    lower: /[a-z]/.test(pw),
    upper: /[A-Z]/.test(pw),
    digit: /[0-9]/.test(pw),
  };
}

export function passwordOk(pw: string): boolean {
  const r = passwordRules(pw);
  return r.length && r.lower && r.upper && r.digit;
}
