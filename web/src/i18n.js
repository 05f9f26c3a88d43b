// i18n.js - Swedish by default, English by a toggle (kept in the URL as lang=en).
const STR = {
  sv: {
    app_title: 'Lägesbild', skip: 'Hoppa till innehållet', weekly: 'Veckans lägesbild', commitments: 'Åtaganden',
    public_title: 'Medborgarlöfte – uppföljning', lang_toggle: 'English', lang_name: 'Svenska',
    period_kind: 'Period', week: 'Vecka', month: 'Månad', quarter: 'Kvartal', area: 'Område', all_areas: 'Alla områden',
    prev: 'Föregående', next: 'Nästa', print: 'Skriv ut veckopaket', signin: 'Logga in', signout: 'Logga ut',
    signed_in_as: 'Inloggad som {0}', auth_off: 'Utvecklingsläge: inloggning avstängd',
    map: 'Karta', map_desc: 'Områden färgade efter antal händelser, hot spots med rang och antal.',
    hot_spots: 'Hot spots', rank: 'Rang', incidents: 'Händelser', patrols: 'Patruller', patrol_hours: 'Patrulltimmar',
    focuses: 'Fokusområden', by_category: 'Per kategori', category: 'Kategori', this_period: 'Denna period',
    previous: 'Föregående period', year_ago: 'För ett år sedan', change: 'Förändring', change_ya: 'Förändring mot i fjol',
    total: 'Totalt', significant: 'Förändringen är större än vad slumpen förklarar (|z| > 1,96)',
    sig_note: '* = förändringen är större än slumpen förklarar: Poissontest 2(√a − √b), |z| > 1,96 (5 %).',
    suppressed_note: '"< {0}" = färre än {0} händelser; övriga antal är avrundade till multiplar av {0}. Båda skyddar enskilda.',
    trend: 'Trend per vecka', trend_desc: 'Antal händelser per vecka, de senaste {0} veckorna.',
    heatmap: 'Veckodag × timme', heatmap_desc: 'Antal händelser per veckodag och timme.',
    sources: 'Källor', party: 'Part', reported: 'Rapporterade', latest: 'Senaste händelse', yes: 'ja',
    no_report: 'ingen rapport under perioden', events: 'händelser',
    commitments_area: 'Åtaganden för området', status: 'Status', note: 'Uppföljning', responsible: 'Ansvariga',
    target: 'Mål', progress: 'Utfall', on_track: 'I fas', on_track_yes: 'i fas', on_track_no: 'inte i fas',
    on_track_unknown: 'kan inte bedömas', save: 'Spara', saved: 'Sparat.', edit: 'Ändra',
    conflict: 'Någon annan har ändrat åtagandet sedan du öppnade det. Dina ändringar sparades inte. Ladda om och försök igen.',
    reload: 'Ladda om', agreement: 'Överenskommelse', no_commitments: 'Inga åtaganden.',
    empty: 'Inga händelser är registrerade för {0}.', empty_hint: 'Välj en annan period eller ett annat område.',
    unreachable: 'Det går inte att nå estd just nu. Kontrollera nätverket.',
    unavailable: 'Tjänsten är tillfälligt otillgänglig (503). Försök igen om en stund.', retry: 'Försök igen',
    error: 'Något gick fel: {0}', forbidden: 'Du saknar behörighet för detta.', loading: 'Laddar …',
    generated: 'Skapad {0}', period_label: 'Period {0} – {1}', none: '–',
    weekdays: ['Mån', 'Tis', 'Ons', 'Tor', 'Fre', 'Lör', 'Sön'],
    statuses: { planned: 'planerad', ongoing: 'pågående', fulfilled: 'uppfyllt', partially_fulfilled: 'delvis uppfyllt', not_fulfilled: 'inte uppfyllt' },
    pack_title: 'Veckopaket – EST-möte', public_intro: 'Löftena och hur arbetet går. Endast sammanräknade antal visas; små antal döljs.',
    public_off: 'Den publika sidan är inte aktiverad.', value: 'Värde', of_target: '{0} av {1}',
  },
  en: {
    app_title: 'Situational picture', skip: 'Skip to content', weekly: 'Weekly picture', commitments: 'Commitments',
    public_title: 'Citizen pledge – follow-up', lang_toggle: 'Svenska', lang_name: 'English',
    period_kind: 'Period', week: 'Week', month: 'Month', quarter: 'Quarter', area: 'Area', all_areas: 'All areas',
    prev: 'Previous', next: 'Next', print: 'Print weekly pack', signin: 'Sign in', signout: 'Sign out',
    signed_in_as: 'Signed in as {0}', auth_off: 'Development mode: sign-in is off',
    map: 'Map', map_desc: 'Areas coloured by number of incidents, hot spots with rank and count.',
    hot_spots: 'Hot spots', rank: 'Rank', incidents: 'Incidents', patrols: 'Patrols', patrol_hours: 'Patrol hours',
    focuses: 'Focus areas', by_category: 'By category', category: 'Category', this_period: 'This period',
    previous: 'Previous period', year_ago: 'A year ago', change: 'Change', change_ya: 'Change vs last year',
    total: 'Total', significant: 'The change is larger than chance explains (|z| > 1.96)',
    sig_note: '* = the change is beyond chance: Poisson test 2(√a − √b), |z| > 1.96 (5 %).',
    suppressed_note: '"< {0}" = fewer than {0} incidents; the other counts are rounded to multiples of {0}. Both protect individuals.',
    trend: 'Weekly trend', trend_desc: 'Incidents per week, the last {0} weeks.',
    heatmap: 'Weekday × hour', heatmap_desc: 'Incidents per weekday and hour.',
    sources: 'Sources', party: 'Party', reported: 'Reported', latest: 'Latest event', yes: 'yes',
    no_report: 'no report in the period', events: 'events',
    commitments_area: 'Commitments for the area', status: 'Status', note: 'Follow-up note', responsible: 'Responsible',
    target: 'Target', progress: 'Progress', on_track: 'On track', on_track_yes: 'on track', on_track_no: 'not on track',
    on_track_unknown: 'cannot be judged', save: 'Save', saved: 'Saved.', edit: 'Edit',
    conflict: 'Someone else changed this commitment after you opened it. Your changes were not saved. Reload and try again.',
    reload: 'Reload', agreement: 'Agreement', no_commitments: 'No commitments.',
    empty: 'No incidents are recorded for {0}.', empty_hint: 'Choose another period or area.',
    unreachable: 'estd cannot be reached right now. Check the network.',
    unavailable: 'The service is temporarily unavailable (503). Try again in a moment.', retry: 'Try again',
    error: 'Something went wrong: {0}', forbidden: 'You are not allowed to do this.', loading: 'Loading …',
    generated: 'Generated {0}', period_label: 'Period {0} – {1}', none: '–',
    weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    statuses: { planned: 'planned', ongoing: 'ongoing', fulfilled: 'fulfilled', partially_fulfilled: 'partially fulfilled', not_fulfilled: 'not fulfilled' },
    pack_title: 'Weekly pack – EST meeting', public_intro: 'The pledges and how the work is going. Only aggregate counts are shown; small counts are hidden.',
    public_off: 'The public page is not enabled.', value: 'Value', of_target: '{0} of {1}',
  },
};

let lang = 'sv';
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'sv';
  document.documentElement.lang = lang;
}
export function getLang() { return lang; }
export function t(key, ...args) {
  const v = STR[lang][key] ?? STR.sv[key] ?? key;
  if (typeof v !== 'string') return v;
  return v.replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}
// label_sv / label_en (or name / name_en, title / title_en) of an API object.
export function label(obj, base = 'label') {
  if (!obj) return '';
  if (lang === 'en') return obj[`${base}_en`] || obj[`${base}_sv`] || obj[base] || '';
  return obj[`${base}_sv`] || obj[base] || obj[`${base}_en`] || '';
}
export function num(n, digits = 0) {
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'sv-SE', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}
