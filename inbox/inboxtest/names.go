package inboxtest

// The word lists the generator draws from. They are read-only tables: the
// generator indexes them with a seeded random source, so changing their
// order or contents changes every generated dataset (and the golden file).

// namePair is a name as written in its script and an ASCII spelling of it,
// used to make a plausible e-mail address.
type namePair struct{ native, ascii string }

// place is a country and its telephone prefix.
type place struct {
	country string
	prefix  string
}

// script is a family of names: given names, family names, where such people
// tend to live, and how a full name is put together.
type script struct {
	name        string
	weight      int
	givens      []namePair
	families    []namePair // empty: the given name is the whole name
	familyFirst bool       // CJK order: family name, then given name
	sep         string     // between the two parts
	places      []place
}

var scripts = []script{
	{
		name: "latin", weight: 34, sep: " ",
		givens: []namePair{
			{"John", "john"}, {"Emily", "emily"}, {"Michael", "michael"}, {"Sarah", "sarah"},
			{"David", "david"}, {"Olivia", "olivia"}, {"Daniel", "daniel"}, {"Grace", "grace"},
			{"Liam", "liam"}, {"Ava", "ava"}, {"Noah", "noah"}, {"Mia", "mia"},
		},
		families: []namePair{
			{"Smith", "smith"}, {"Clarke", "clarke"}, {"Brown", "brown"}, {"Johnson", "johnson"},
			{"Lee", "lee"}, {"Wilson", "wilson"}, {"Taylor", "taylor"}, {"O'Connor", "oconnor"},
			{"Walker", "walker"}, {"Evans", "evans"},
		},
		places: []place{{"US", "1"}, {"GB", "44"}, {"CA", "1"}, {"AU", "61"}, {"IE", "353"}},
	},
	{
		name: "latin-accented", weight: 16, sep: " ",
		givens: []namePair{
			{"José", "jose"}, {"Zoë", "zoe"}, {"Łukasz", "lukasz"}, {"Søren", "soren"},
			{"Chloé", "chloe"}, {"Jürgen", "jurgen"}, {"Siobhán", "siobhan"}, {"İlkay", "ilkay"},
			{"Ana Luísa", "analuisa"}, {"François", "francois"}, {"Nguyễn Thị", "nguyenthi"}, {"Antonín", "antonin"},
		},
		families: []namePair{
			{"García", "garcia"}, {"Dubois", "dubois"}, {"Wiśniewski", "wisniewski"}, {"Kierkegård", "kierkegard"},
			{"Lefèvre", "lefevre"}, {"Müller", "muller"}, {"Ó Briain", "obriain"}, {"Çelik", "celik"},
			{"Gonçalves", "goncalves"}, {"Dvořák", "dvorak"}, {"Minh", "minh"}, {"Núñez", "nunez"},
		},
		places: []place{{"ES", "34"}, {"FR", "33"}, {"PL", "48"}, {"DK", "45"}, {"DE", "49"}, {"BR", "55"}, {"TR", "90"}, {"VN", "84"}},
	},
	{
		name: "cyrillic", weight: 10, sep: " ",
		givens: []namePair{
			{"Иван", "ivan"}, {"Мария", "maria"}, {"Алексей", "alexey"}, {"Ольга", "olga"},
			{"Дмитрий", "dmitry"}, {"Олена", "olena"}, {"Сергей", "sergey"}, {"Анна", "anna"},
		},
		families: []namePair{
			{"Петров", "petrov"}, {"Соколова", "sokolova"}, {"Смирнов", "smirnov"}, {"Кузнецова", "kuznetsova"},
			{"Волков", "volkov"}, {"Шевченко", "shevchenko"},
		},
		places: []place{{"RU", "7"}, {"UA", "380"}, {"KZ", "7"}},
	},
	{
		name: "arabic", weight: 9, sep: " ",
		givens: []namePair{
			{"محمد", "mohammed"}, {"فاطمة", "fatima"}, {"أحمد", "ahmed"}, {"ليلى", "layla"},
			{"يوسف", "yousef"}, {"نور", "noor"},
		},
		families: []namePair{
			{"العلي", "alali"}, {"الزهراء", "alzahraa"}, {"حسن", "hassan"}, {"منصور", "mansour"}, {"خالد", "khaled"},
		},
		places: []place{{"AE", "971"}, {"SA", "966"}, {"EG", "20"}},
	},
	{
		name: "devanagari", weight: 12, sep: " ",
		givens: []namePair{
			{"राहुल", "rahul"}, {"प्रिया", "priya"}, {"अमित", "amit"}, {"सुनीता", "sunita"},
			{"विकास", "vikas"}, {"अनन्या", "ananya"},
		},
		families: []namePair{
			{"शर्मा", "sharma"}, {"पटेल", "patel"}, {"कुमार", "kumar"}, {"देवी", "devi"}, {"गुप्ता", "gupta"},
		},
		places: []place{{"IN", "91"}, {"NP", "977"}},
	},
	{
		name: "chinese", weight: 5, familyFirst: true,
		givens:   []namePair{{"伟", "wei"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"磊", "lei"}},
		families: []namePair{{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}},
		places:   []place{{"CN", "86"}, {"TW", "886"}, {"SG", "65"}},
	},
	{
		name: "japanese", weight: 3, familyFirst: true, sep: " ",
		givens:   []namePair{{"太郎", "taro"}, {"花子", "hanako"}, {"翔", "sho"}, {"さくら", "sakura"}},
		families: []namePair{{"田中", "tanaka"}, {"佐藤", "sato"}, {"鈴木", "suzuki"}},
		places:   []place{{"JP", "81"}},
	},
	{
		name: "korean", weight: 2, familyFirst: true,
		givens:   []namePair{{"민준", "minjun"}, {"서연", "seoyeon"}, {"지호", "jiho"}},
		families: []namePair{{"김", "kim"}, {"이", "lee"}, {"박", "park"}},
		places:   []place{{"KR", "82"}},
	},
	{
		name: "greek", weight: 3, sep: " ",
		givens:   []namePair{{"Γιώργος", "giorgos"}, {"Ελένη", "eleni"}, {"Νίκος", "nikos"}, {"Μαρία", "maria"}},
		families: []namePair{{"Παπαδόπουλος", "papadopoulos"}, {"Γεωργίου", "georgiou"}, {"Κωνσταντίνου", "konstantinou"}},
		places:   []place{{"GR", "30"}, {"CY", "357"}},
	},
	{
		name: "hebrew", weight: 1, sep: " ",
		givens:   []namePair{{"דוד", "david"}, {"שרה", "sarah"}},
		families: []namePair{{"כהן", "cohen"}, {"לוי", "levi"}},
		places:   []place{{"IL", "972"}},
	},
	{
		name: "thai", weight: 1, sep: " ",
		givens:   []namePair{{"สมชาย", "somchai"}, {"มาลี", "malee"}},
		families: []namePair{{"ใจดี", "jaidee"}, {"ศรีสุข", "srisuk"}},
		places:   []place{{"TH", "66"}},
	},
	{
		// Whole names with emoji, zero-width joiners and combining accents:
		// what width and truncation code gets wrong.
		name: "emoji", weight: 4,
		givens: []namePair{
			{"🌸 Sakura", "sakura"}, {"Max 🚀", "max"}, {"🦊", "fox"}, {"Lena ✨💖", "lena"},
			{"👨‍👩‍👧 Family Store", "familystore"}, {"e\u0301lise", "elise"}, {"🇧🇷 Bruno", "bruno"},
		},
		places: []place{{"US", "1"}, {"BR", "55"}, {"JP", "81"}, {"FR", "33"}},
	},
}

var emailDomains = []string{"example.com", "example.org", "example.net", "mail.example.com", "shop.example"}

// tagWeights: tag names and how often (in percent) a contact carries each.
var tagWeights = []struct {
	name    string
	percent int
}{
	{"vip", 12}, {"b2b", 10}, {"gold", 8}, {"refund", 7}, {"trial", 9}, {"enterprise", 5},
	{"newsletter", 15}, {"wholesale", 4}, {"complaint", 4}, {"late-delivery", 3},
	{"needs callback", 2}, {"доставка", 2},
}

var userTexts = []string{
	"Hi, where is my order?",
	"Can I get a refund for order #4471?",
	"Do you ship to Dubai?",
	"¿Tienen descuentos para mayoristas?",
	"Где мой заказ?",
	"我的订单在哪里？",
	"मुझे मदद चाहिए",
	"Hello?? anyone there",
	"Thanks, that worked!",
	"The payment failed twice 😕",
	"I want to talk to a human",
	"Can you change my delivery address?",
	"Is the gold plan billed monthly?",
	"Bonjour, je n'ai pas reçu la facture.",
	"مرحبا، هل المنتج متوفر؟",
	"Η παραγγελία μου άργησε.",
}

var botTexts = []string{
	"Hi! How can I help you today?",
	"Please choose an option below.",
	"Our agents are online 9:00–18:00.",
	"Thanks! An agent will be with you shortly.",
	"Here is your order status: shipped 🚚",
	"Could you share your order number?",
}

var agentTexts = []string{
	"Let me check that for you.",
	"Your refund has been processed.",
	"I've escalated this to the team.",
	"Could you send a photo of the product?",
	"Happy to help! Anything else?",
	"Your new address is saved.",
}

// hostileNames are customer names that break careless renderers: Slack
// mentions and links, mrkdwn, HTML entities, newlines, bidi overrides.
var hostileNames = []string{
	"<!channel>",
	"<@U024BE7LH>",
	"*bold* _it_ ~s~",
	"a & b <c>",
	"<!here|here> `code` ```block```",
	"<https://evil.example|click me>",
	"Line one\nLine two",
	"\u202Eevil.exe",
}
