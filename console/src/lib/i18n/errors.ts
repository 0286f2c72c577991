// What every error code of docs/console-api.md says, in both languages,
// and a few the server answers any caller. The screen shows these, never
// the server's `message`.
export type Texts = { en: string; hi: string };

export const errorTexts = {
  'auth.bad_credentials': { en: 'Wrong login or password.', hi: 'लॉगिन या पासवर्ड गलत है।' },
  'auth.locked': {
    en: 'This login is locked for a while after too many wrong passwords. Wait and try again: each further wrong try makes the wait longer (up to 15 minutes).',
    hi: 'कई बार गलत पासवर्ड के कारण यह लॉगिन कुछ समय के लिए बंद है। रुककर फिर से करें: हर अगली गलत कोशिश पर प्रतीक्षा बढ़ती है (15 मिनट तक)।',
  },
  'auth.missing': { en: 'You are not logged in. Log in again.', hi: 'आप लॉगिन नहीं हैं। फिर से लॉगिन करें।' },
  'auth.token_expired': { en: 'Your session ended. Log in again.', hi: 'आपका सत्र समाप्त हो गया। फिर से लॉगिन करें।' },
  'auth.forbidden': { en: 'Your role may not do that.', hi: 'आपकी भूमिका को यह करने की अनुमति नहीं है।' },
  'auth.inactive': { en: 'This login is deactivated.', hi: 'यह लॉगिन निष्क्रिय है।' },
  'request.rate_limited': {
    en: 'Too many tries from this computer. Wait a few minutes, then try again.',
    hi: 'इस कंप्यूटर से बहुत अधिक प्रयास हुए। कुछ मिनट रुकें, फिर से करें।',
  },
  'request.invalid': {
    en: 'The server did not accept what was sent: check the values and try again.',
    hi: 'सर्वर ने भेजी गई जानकारी स्वीकार नहीं की: मान जांचकर फिर से करें।',
  },
  'request.busy': { en: 'The server is busy. Try again in a moment.', hi: 'सर्वर व्यस्त है। थोड़ी देर में फिर से करें।' },
  'request.timeout': { en: 'The request took too long. Try again.', hi: 'अनुरोध में बहुत देर लगी। फिर से करें।' },
  'console.read_only': { en: 'Your role (auditor) may look but not change anything.', hi: 'आपकी भूमिका (लेखा परीक्षक) केवल देख सकती है, कुछ बदल नहीं सकती।' },
  'console.csrf': {
    en: 'The page and your session do not match any more (another tab may have logged in). Reload the page.',
    hi: 'पेज और आपका सत्र अब मेल नहीं खाते (शायद दूसरे टैब में लॉगिन हुआ)। पेज फिर से लोड करें।',
  },
  'console.self_approval': {
    en: 'You made this proposal: a second admin must approve it.',
    hi: 'यह प्रस्ताव आपने बनाया है: इसे किसी दूसरे एडमिन को स्वीकृत करना होगा।',
  },
  'catalogue.stale': {
    en: 'Someone published a newer catalogue while you were editing. Load the current version; your changes are kept to look at again.',
    hi: 'आपके संपादन के दौरान किसी ने नई सेवा सूची प्रकाशित कर दी। मौजूदा संस्करण लोड करें; आपके बदलाव दोबारा देखने के लिए रखे रहेंगे।',
  },
  'not_found': { en: 'Not found (or not in your district).', hi: 'नहीं मिला (या आपके जिले का नहीं है)।' },
  'internal': { en: 'Something went wrong on the server. Try again; if it repeats, tell the state IT team.', hi: 'सर्वर पर गड़बड़ी हुई। फिर से करें; बार-बार हो तो राज्य आईटी टीम को बताएं।' },
  'network': {
    en: 'The server cannot be reached. Check the network and try again.',
    hi: 'सर्वर से संपर्क नहीं हो पा रहा। नेटवर्क जांचें और फिर से करें।',
  },
  'http.status': { en: 'The server answered with an error.', hi: 'सर्वर ने त्रुटि के साथ जवाब दिया।' },
} satisfies Record<string, Texts>;

export type ErrorCode = keyof typeof errorTexts;

/** Every code named in docs/console-api.md: each must have a text. */
export const CONTRACT_CODES = [
  'auth.bad_credentials',
  'auth.locked',
  'request.rate_limited',
  'auth.missing',
  'auth.token_expired',
  'console.read_only',
  'console.csrf',
  'not_found',
  'console.self_approval',
  'catalogue.stale',
  'request.invalid',
] as const;

export const unknownError: Texts = {
  en: 'The request was refused ({code}).',
  hi: 'अनुरोध अस्वीकार हुआ ({code})।',
};
