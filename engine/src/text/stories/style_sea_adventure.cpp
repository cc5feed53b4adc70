// The "sea_adventure" style: a young sailor, a captain, a shipmate and a parrot aboard a sailing
// ship; storms, islands, whales, treasure maps and pirates who are never too frightening.
#include "text/stories/story_grammar.h"

namespace loralab::stories {
namespace {

using G = Gender;

StyleSpec make_sea_adventure() {
  StyleSpec s;
  s.name = "sea_adventure";
  s.description = "Sea adventures: ships, captains, storms, islands, whales and treasure maps.";
  s.signature = {"ship",     "captain", "sea",    "ocean",   "wave",   "sail",       "sailor",
                 "deck",     "anchor",  "island", "harbor",  "mast",   "crew",       "treasure",
                 "pirate",   "compass", "whale",  "dolphin", "lighthouse", "seagull", "tide",
                 "shore",    "voyage",  "parrot", "cabin"};
  s.roles = {
      {'H', "hero",
       {{"Finn", G::kMale},    {"Davy", G::kMale},    {"Tobias", G::kMale},  {"Rory", G::kMale},
        {"Ned", G::kMale},     {"Wade", G::kMale},    {"Marina", G::kFemale}, {"Coral", G::kFemale},
        {"Pearl", G::kFemale}, {"Nell", G::kFemale},  {"Isla", G::kFemale},  {"Cora", G::kFemale},
        {"Maisie", G::kFemale}, {"Morgan", G::kNeutral}, {"Skye", G::kNeutral},
        {"Kit", G::kNeutral}}},
      {'C', "captain",
       {{"Captain Flint", G::kMale}, {"Captain Rosa", G::kFemale}, {"Captain Gray", G::kMale},
        {"Captain Maeve", G::kFemale}, {"Captain Bell", G::kFemale}, {"Captain Oakes", G::kMale},
        {"Captain Salt", G::kNeutral}}},
      {'F', "shipmate",
       {{"Billy", G::kMale},  {"Molly", G::kFemale}, {"Jonah", G::kMale}, {"Hettie", G::kFemale},
        {"Lou", G::kNeutral}, {"Tam", G::kMale},     {"Elsie", G::kFemale}}},
      {'B', "parrot",
       {{"Polly", G::kFemale}, {"Kiwi", G::kMale},  {"Mango", G::kMale}, {"Sunny", G::kFemale},
        {"Pepper", G::kFemale}, {"Rascal", G::kMale}}},
  };

  s.rules = {
      {"story",
       {"{opening} {background}\n\n{?sky} {problem} {upset}\n\n{attempt} {fail}\n\n{helper} "
        "{turn}\n\n{resolution} {?cheer} {ending}",
        "{opening} {?background}\n\n{problem} {upset} {attempt} {fail}\n\n{helper}\n\n{turn} "
        "{resolution}\n\n{ending}",
        "{opening}\n\n{problem} {attempt} {fail}\n\n{helper} {turn} {resolution}\n\n{?lesson} "
        "{ending}"}},
      {"job.m", {"cabin boy", "young sailor", "ship's boy"}},
      {"job.f", {"cabin girl", "young sailor", "ship's lookout"}},
      {"job.n", {"young sailor", "ship's lookout", "deckhand"}},
      {"tag", {"said", "said calmly", "said with a grin", "said warmly"}},
      {"ship", {"the Blue Gull", "the Silver Fin", "the Brave Otter", "the Merry Wave",
                "the Salty Star", "the Dancing Tern"}},
      {"trait", {"brave", "quick", "cheerful", "clever", "sharp-eyed", "strong", "curious"}},
      {"opening",
       {"Once there was a {trait} {H:job} named {H} who sailed on a ship called {@ship}.",
        "{H} was the youngest sailor on {@ship}, a proud old ship with white sails.",
        "Long ago, when ships had tall sails, a {trait} {H:job} named {H} lived aboard {@ship}.",
        "{H} was a {trait} {H:job} who loved the sea more than anything in the world.",
        "Every morning, {H} climbed the mast of {@ship} and looked out over the blue ocean.",
        "{H} was a {trait} {H:job} on {@ship}, and {H.his} job was to {seajob}.",
        "The {shipadj} ship {@ship} sailed the seven seas, and {H}, a {trait} {H:job}, sailed "
        "with it."}},
      {"seajob", {"watch for rocks", "polish the brass bell", "mend the sails",
                  "coil the ropes on deck"}},
      {"shipadj", {"old", "fast", "proud", "little"}},
      {"fine", {"clear", "blue", "bright", "wide and blue"}},
      {"heading", {"toward the east", "past a chain of small islands", "far from any shore",
                   "toward the warm southern seas"}},
      {"sky",
       {"The sky was {fine}, and {@ship} was sailing {heading}.",
        "For many days, the voyage had been easy, and the crew sang as they worked.",
        "The sea sparkled, and a few seagulls followed the ship, hoping for crumbs."}},
      {"squawk", {"Hooray!", "Well done!", "Brave sailor!", "Ahoy, ahoy!"}},
      {"cheer",
       {R"("{squawk}" squawked {B} the parrot, flapping {B.his} wings.)",
        "The crew threw their hats in the air and cheered.",
        R"("Three cheers for {H}!" shouted {F}.)"}},
      {"background",
       {"{C} was the captain, and {C.he} knew every star in the night sky.",
        "{H.His} best friend on board was {F}, who {matefact}.",
        "{B}, the ship's green parrot, liked to sit on {H}'s shoulder and squawk at the "
        "seagulls.",
        "{H} knew every rope and every sail on the ship, and {C} trusted {H.him}.",
        "At night, {H} slept in a swinging hammock below deck and dreamed of far islands.",
        "{H} could tell the weather by the color of the sky and the smell of the wind.",
        "{H} and {F} scrubbed the deck every morning, singing old sea songs as they worked."}},
      {"matefact", {"could tie any knot in the world", "knew a hundred sea songs",
                    "could climb the mast faster than anyone", "told the funniest jokes on board"}},
      {"upset",
       {R"("All hands on deck!" shouted {C}.)",
        R"({B} the parrot flapped {B.his} wings. "Trouble! Trouble!" {B.he} squawked.)",
        "{H}'s heart pounded, but {H.he} held on tight.",
        R"("Steady now," {C} called. "Keep calm, crew!")",
        "Everyone on deck went quiet and looked at the captain.",
        R"("Hold fast!" {H} cried to {F}.)",
        "The seagulls flew away, squawking, as if they knew something was wrong."}},
      {"lesson",
       {"{H} learned that the sea is strong, but a good crew is stronger.",
        "{H} learned that a calm sailor is a safe sailor."}},
      {"ending",
       {"That night, the ship sailed on under the stars, and {H} fell asleep to the sound of "
        "the waves.",
        R"("You are a true sailor now," said {C}, and {H} smiled from ear to ear.)",
        "And {@ship} sailed on toward the next adventure, with {H} at the lookout.",
        "The whole crew cheered for {H}, and {B} the parrot squawked the loudest of all.",
        "When they reached the harbor at last, {H} told the story to everyone on the dock.",
        "That evening, the crew sang songs on deck, and {H} sang the loudest.",
        "{C} wrote {H}'s name in the ship's log, next to the words: A fine sailor."}},
  };

  s.plots = {
      {"storm",
       {{"problem",
         {"One evening, dark clouds rolled across the sky. Soon a wild storm was tossing the "
          "ship up and down on huge waves.",
          "One night, the wind began to howl, and a great storm rushed across the ocean. A "
          "loud rip came from above. The big sail was torn!"}},
        {"attempt",
         {"{H} tried to pull the loose rope back in, but the wind tugged it away.",
          "{H} grabbed the wheel to help, but the waves pushed the ship off its course."}},
        {"fail",
         {"The torn sail flapped and snapped like a wild bird.",
          "Cold water splashed over the deck, and {H} slipped and nearly fell."}},
        {"helper",
         {R"({C} shouted over the wind, "{H}! You are the lightest. Can you climb the mast and tie the sail?")",
          R"({F} grabbed {H}'s arm. "We can do it together," {F.he} {tag}. "I will hold the rope, and you climb.")"}},
        {"turn",
         {"{H} climbed the slippery mast, one step at a time, while the ship rocked below. At "
          "the top, {H.he} tied the sail tight with a strong sailor's knot.",
          "{H} and {F} pulled the ropes together with all their strength, and the sail was "
          "tied down at last."}},
        {"resolution",
         {"By morning the storm was gone. The sea was calm and shining, and the ship was safe.",
          "Slowly, the wind grew softer, the waves grew smaller, and the sun came out over the "
          "ocean."}}}},
      {"treasure_map",
       {{"problem",
         {"One morning, {H} found an old bottle floating in the sea. Inside was a treasure map "
          "with a big red X on a tiny island.",
          "One day, {H} found a torn treasure map hidden inside an old sea chest in the "
          "captain's cabin."}},
        {"upset",
         {R"("A treasure map!" {H} shouted, running to show {C}.)",
          R"({B} the parrot squawked, "Treasure! Treasure!")"}},
        {"attempt",
         {"They sailed to the island, and {H} dug a hole under the tallest palm tree.",
          "On the island, {H} counted ten steps from the big rock and started to dig."}},
        {"fail",
         {"But there was nothing there except sand and a grumpy crab.",
          "The hole filled up with water, and there was no treasure."}},
        {"helper",
         {R"({C} turned the map around. "You are holding it upside down," {C.he} said with a laugh.)",
          R"({F} looked closely at the map. "There is writing on the back," {F.he} {tag}. "It says: Dig where the whale sleeps at low tide.")"}},
        {"turn",
         {"They walked to the other side of the island, where a rock shaped like a whale stood "
          "by the water. There, {H} dug and dug until the shovel hit something hard.",
          "At low tide, a little cave appeared under the cliff. Deep inside, {H} found an old "
          "wooden chest."}},
        {"resolution",
         {"The chest was full of old coins, shiny shells and a letter from a sailor long ago. "
          "{C} shared the treasure with the whole crew.",
          "Inside the chest was not gold but a beautiful old compass and a note that said: The "
          "real treasure is the voyage."}}}},
      {"fog",
       {{"problem",
         {"One morning, a thick gray fog rolled over the sea. Nobody could see the front of the "
          "ship, and the rocks near the shore were very close.",
          "On the way home, a fog came down so thick that even the seagulls stopped flying. "
          "{C} did not know which way the harbor was."}},
        {"attempt",
         {"{H} climbed up to the lookout and stared into the fog.",
          "{H} shouted out into the fog, hoping someone on shore would hear."}},
        {"fail",
         {"But all {H} could see was gray, gray and more gray.",
          "Only the slap of the waves answered."}},
        {"helper",
         {R"({C} held up a hand. "Listen," {C.he} {tag}. "Sailors can find their way with their ears too.")",
          R"({F} pulled out an old brass compass. "The lighthouse is to the north," {F.he} {tag}. "We just have to keep the needle pointing that way.")"}},
        {"turn",
         {"{H} listened very hard. Far away, {H.he} heard the slow ding, ding of the lighthouse "
          "bell, and {H.he} pointed the way.",
          "Then, through the fog, {H} saw a faint yellow light blinking on and off. It was the "
          "lighthouse!"}},
        {"resolution",
         {"{C} steered toward the light, and the ship slid safely into the harbor.",
          "The ship followed the light past the rocks, and soon the anchor splashed down in the "
          "calm harbor."}}}},
      {"whale_net",
       {{"problem",
         {"One afternoon, {H} heard a sad, deep song coming from the water. A young whale was "
          "tangled in an old fishing net.",
          "One day, the crew spotted a baby whale near the ship. It was caught in a net and "
          "could not swim to its mother."}},
        {"attempt",
         {"{H} threw a rope to the whale, but the whale was too frightened to hold still.",
          "{H} leaned over the side and tried to pull the net, but it was too heavy."}},
        {"fail",
         {"The whale thrashed, and the net only got tighter.",
          "The net would not move, and the whale cried out again."}},
        {"helper",
         {R"({C} lowered a small rowboat. "Slowly and gently," {C.he} {tag}. "Whales can feel when you mean to help.")",
          R"({F} handed {H} a small knife. "We must cut the net, one rope at a time," {F.he} {tag}.)"}},
        {"turn",
         {"{H} rowed up to the whale and sang a soft sea song. The whale grew calm, and {H} "
          "carefully cut the net away.",
          "{H} and {F} cut the ropes one by one, while the whale watched them with a big, "
          "gentle eye."}},
        {"resolution",
         {"The whale was free! It swam in a happy circle and blew a great spray of water that "
          "rained down on the whole crew.",
          "The young whale swam back to its mother, and the two whales waved their tails as if "
          "to say thank you."}}}},
      {"pirates",
       {{"problem",
         {"One morning, {B} the parrot screeched, \"Pirates!\" A ship with a black flag was "
          "sailing straight toward them.",
          "At dawn, a pirate ship with patched red sails appeared on the horizon, and it was "
          "getting closer."}},
        {"attempt",
         {"{C} turned the ship to sail away, but the pirate ship was faster.",
          "The crew raised every sail, but the pirates kept coming."}},
        {"fail",
         {"Soon the pirates were so close that {H} could hear them singing.",
          "The pirate ship was only a few waves away."}},
        {"helper",
         {R"({H} had an idea. "The fog bank by the island!" {H.he} {tag}. "We can hide in the fog.")",
          R"({F} whispered, "Pirates are scared of sea monsters. What if we make a sea monster?")"}},
        {"turn",
         {"{H} steered the ship into the thick fog by the island, and the crew kept very quiet. "
          "The pirates sailed right past them.",
          "{H} and the crew hung wet sheets on the ropes and blew into big shells. It sounded like a "
          "roaring sea monster, and the pirates sailed away as fast as they could."}},
        {"resolution",
         {"When the pirates were gone, the whole crew laughed and cheered.",
          "{C} shook {H}'s hand. \"Quick thinking, sailor,\" {C.he} {tag}."}}}},
      {"lost_compass",
       {{"problem",
         {"One day, a big wave rocked the ship, and {C}'s golden compass slipped over the side "
          "and sank into the sea.",
          "While {H} was cleaning the deck, {H.he} bumped the captain's compass, and it fell "
          "into the water with a plop."}},
        {"upset",
         {"{H} felt terrible. Without the compass, how would they find their way?",
          R"("It was my fault," {H} said quietly to {C}.)"}},
        {"attempt",
         {"{H} lowered a bucket on a rope, hoping to scoop the compass up.",
          "{H} leaned over the side and looked down into the deep blue water."}},
        {"fail",
         {"But the compass was far too deep.",
          "But the water was deep and dark, and {H} could not see the bottom."}},
        {"helper",
         {R"({F} pointed at the water. "Look, dolphins!" {F.he} {tag}. "They are very clever.")",
          R"({C} smiled kindly. "Everyone makes mistakes, {H}," {C.he} {tag}. "Let's see what the sea can do.")"}},
        {"turn",
         {"A friendly dolphin dived down and came back up with something shiny in its mouth. "
          "It was the compass!",
          "{H} whistled, and a family of dolphins swam up to the ship. One of them dived deep "
          "and pushed the compass up to the surface."}},
        {"resolution",
         {"{H} caught the compass and gave it back to {C}. The dolphins jumped and splashed "
          "around the ship.",
          "{C} held the compass high, and the whole crew cheered for the dolphins."}}}},
      {"becalmed",
       {{"problem",
         {"One hot day, the wind stopped blowing. The sails hung limp, and the ship did not "
          "move for three days.",
          "In the middle of the ocean, the wind died away, and the water barrels were almost "
          "empty."}},
        {"attempt",
         {"{H} whistled for the wind, like the old sailors did.",
          "The crew rowed the small boat and tried to pull the ship with a rope."}},
        {"fail",
         {"But the air stayed still and hot.",
          "But the ship was much too heavy to pull."}},
        {"helper",
         {R"({C} looked at the seagulls. "Birds fly toward land," {C.he} {tag}. "Follow the seagulls.")",
          R"({F} pointed at the clouds. "Those fluffy clouds always sit over an island," {F.he} {tag}.)"}},
        {"turn",
         {"{H} watched the seagulls and saw where they flew. Far away was a little green island "
          "with a waterfall.",
          "The crew rowed toward the clouds, and by evening they reached a small island with a "
          "fresh water spring."}},
        {"resolution",
         {"They filled every barrel with fresh water, and the next morning a fresh breeze "
          "filled the sails again.",
          "That night it rained, the barrels filled up, and a cool wind carried the ship toward "
          "home."}}}},
      {"lost_parrot",
       {{"problem",
         {"One morning, {B} the parrot flew off the ship to chase a butterfly and did not come "
          "back.",
          "As the ship passed a green island, {B} the parrot squawked, flapped {B.his} wings "
          "and flew away toward the trees."}},
        {"upset",
         {R"("{B}! Come back!" {H} shouted, but the parrot was already gone.)",
          "{H} stared at the island. {B} had never flown away before."}},
        {"attempt",
         {"{H} whistled the tune that {B} liked best.",
          "{H} held up a piece of mango, {B}'s favorite fruit."}},
        {"fail",
         {"But only the waves answered.",
          "But there was no flash of green in the trees."}},
        {"helper",
         {R"({C} dropped the anchor. "A good crew does not leave anyone behind," {C.he} {tag}. "Not even a parrot.")",
          R"({F} pointed at the island. "Listen," {F.he} {tag}. "I can hear squawking in the palm trees.")"}},
        {"turn",
         {"{H} rowed to the island and followed the squawks into the palm trees. There was {B}, "
          "tangled in a vine and very glad to see {H}.",
          "On the island, {H} found {B} sitting in a tree full of ripe mangoes, eating as fast "
          "as {B.he} could."}},
        {"resolution",
         {"{H} carried {B} back to the ship on {H.his} shoulder, and {B} did not leave it "
          "for the rest of the voyage.",
          "{H} and {B} rowed back to the ship with a basket of mangoes for the whole crew."}}}},
  };
  return s;
}

}  // namespace

const StyleSpec& sea_adventure_style() {
  static const StyleSpec style = make_sea_adventure();
  return style;
}

}  // namespace loralab::stories
