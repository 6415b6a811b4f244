/**
 * The benchmark payload: a user profile of about 200 bytes as JSON, the kind of
 * row a web app caches per user. One million of them differ the way real ones do
 * (common and rare names, usernames and mail addresses derived from them or not),
 * and profile `i` is always the same object, whatever order they are made in.
 */
import { createRandom, pickSkewed, type Random, randomInt } from './create-random.js';

/** The cached object. */
export interface UserProfile {
  id: number;
  username: string;
  email: string;
  name: string;
  createdAt: Date;
  isActive: boolean;
  isStaff: boolean;
  emailVerified: boolean;
  karma: number;
  score: number;
}

// Ordered roughly by frequency: pickSkewed favours the head of each list, so a
// few names cover many users and a long tail stays rare, as in real user tables.
const FIRST_NAMES = `James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy
Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna
Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald
Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas
Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon
Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank
Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie
Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah
Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger
Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan
Gloria Jesse Janice Bryan Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan
Julia Billy Grace Joe Amber Alan Alice Juan Jean Elijah Denise Willie Frances Albert Danielle
Wayne Marilyn Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy Theresa Bobby Kayla
Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany Yuki Hiroshi Wei Li Mohammed Fatima Ahmed
Aisha Raj Priya Arjun Ananya Luis Sofia Carlos Lucia Diego Valentina Mateo Camila Lars Ingrid
Sven Astrid Pierre Camille Jean-Luc Chloe Hans Greta Giovanni Giulia Marco Chiara Olga Dmitri
Ivan Natasha Kwame Ama Chidi Ngozi Tariq Leila Omar Yasmin Minh Linh Jin Seo-yeon`.split(/\s+/);

const LAST_NAMES = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson
White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez
Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook
Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez
Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander
Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis
Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald
Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson
Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer
Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold
Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong
Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews
Pena Richards Contreras Willis Carpenter Lawrence Sandoval Tanaka Suzuki Watanabe Yamamoto Wang
Zhang Liu Yang Huang Zhao Singh Kumar Sharma Gupta Khan Ali Hussain Okafor Mensah Mueller
Schneider Fischer Weber Rossi Russo Ferrari Esposito Dubois Lefebvre Moreau Ivanov Petrov
Kowalski Nowak Novak Horvat Jensen Nielsen Larsen Andersson Johansson Eriksson Virtanen`.split(/\s+/);

const MAIL_DOMAINS = `gmail.com yahoo.com outlook.com hotmail.com icloud.com aol.com proton.me
gmx.de live.com msn.com yandex.ru mail.ru web.de orange.fr comcast.net qq.com 163.com
naver.com hey.com fastmail.com`.split(/\s+/);

const WORDS = `sky blue dark red wolf fox tiger night code dev pixel ninja star moon sun
river stone iron silver gold green cloud rain storm byte data quiet happy lucky cosmic
neon retro urban coffee tea jazz rock metal zen echo nova orbit delta alpha omega`.split(/\s+/);

const SYLLABLES = `ka lo mi ren sa tor vin el an dra bel cor fen gal hal ix jor kel lun mar
nor os pen quin ras sel tam ul var wen yor zel bri cal dun eth fal gor`.split(/\s+/);

const CREATED_FROM_AT = Date.UTC(2015, 0, 1);
const CREATED_UNTIL_AT = Date.UTC(2025, 5, 1);

/** A made-up name for the long tail no list covers (about one user in four). */
function rareName(random: Random): string {
  let name = '';
  const parts = randomInt(random, 2, 3);
  for (let i = 0; i < parts; i++) name += pickSkewed(random, SYLLABLES, 1);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function firstName(random: Random): string {
  return random() < 0.2 ? rareName(random) : pickSkewed(random, FIRST_NAMES);
}

function lastName(random: Random): string {
  return random() < 0.3 ? rareName(random) : pickSkewed(random, LAST_NAMES);
}

/** Usernames follow the handful of patterns people pick, plus free handles. */
function makeUsername(random: Random, first: string, last: string): string {
  const f = first.toLowerCase().replace(/[^a-z]/g, '');
  const l = last.toLowerCase().replace(/[^a-z]/g, '');
  const digits = String(randomInt(random, 1, 9999));
  switch (randomInt(random, 0, 5)) {
    case 0:
      return `${f}.${l}`;
    case 1:
      return `${f}${l}${digits}`;
    case 2:
      return `${f.charAt(0)}${l}`;
    case 3:
      return `${f}_${digits}`;
    case 4:
      return `${pickSkewed(random, WORDS, 1)}${pickSkewed(random, WORDS, 1)}${digits}`;
    default:
      return `${l}${f.charAt(0)}${randomInt(random, 10, 99)}`;
  }
}

function makeEmail(random: Random, username: string, first: string, last: string): string {
  const domain = pickSkewed(random, MAIL_DOMAINS, 2.2);
  const roll = random();
  if (roll < 0.5) return `${username}@${domain}`;
  const f = first.toLowerCase().replace(/[^a-z]/g, '');
  const l = last.toLowerCase().replace(/[^a-z]/g, '');
  if (roll < 0.8) return `${f}.${l}${random() < 0.5 ? randomInt(random, 1, 99) : ''}@${domain}`;
  // Work addresses: a company domain that hardly repeats.
  return `${f.charAt(0)}${l}@${rareName(random).toLowerCase()}${pickSkewed(random, ['.com', '.io', '.co', '.net', '.org'])}`;
}

/**
 * Profile number `index` (also its `id`), the same on every call and every
 * machine for a given seed.
 * @example
 * makeProfile(1).username; // always the same string
 */
export function makeProfile(index: number, seed = 20240521): UserProfile {
  // Seeding per index (not one stream for all) lets any slice of the million be
  // rebuilt alone, e.g. the sample a throughput run reads back.
  const random = createRandom(Math.imul(index + 1, 0x9e3779b1) ^ seed);
  const first = firstName(random);
  const last = lastName(random);
  const username = makeUsername(random, first, last);
  return {
    id: index,
    username,
    email: makeEmail(random, username, first, last),
    name: `${first} ${last}`,
    createdAt: new Date(randomInt(random, CREATED_FROM_AT, CREATED_UNTIL_AT)),
    isActive: random() < 0.9,
    isStaff: random() < 0.03,
    emailVerified: random() < 0.75,
    karma: Math.floor(20000 * random() ** 3),
    score: Math.round(10000 * random()) / 100,
  };
}
