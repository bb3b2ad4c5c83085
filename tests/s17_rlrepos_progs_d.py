"""p-christ/Deep-Reinforcement-Learning-Algorithms-with-PyTorch as users run it, part d:
SAC_Discrete (two critics and their targets, Categorical actor, automatic entropy tuning through
log_alpha, Base_Agent's take_optimisation_step with clip_grad_norm_ and the soft update) and
DDQN_With_Prioritised_Experience_Replay (double-DQN targets, the importance-sampling-weighted
loss, td errors back to the buffer). nn_builder's create_NN is replaced by a seeded Sequential
and the replay buffers by small NumPy ones with the same sampling calls; fake environments
instead of gym. ``prog(L) -> (printed, values)`` for tests/test_programs_s17_rlrepos.py."""

import random
from collections import deque, namedtuple

import numpy as np
from s16_yunjey_progs import Out
from s17_rlrepos_progs import FakeEnv


def _base(L, o, hyper, seed):
    torch, nn = L, L.nn
    device = "cpu"

    class Replay_Buffer(object):
        def __init__(self, buffer_size, batch_size, seed, device=None):
            self.memory = deque(maxlen=buffer_size)
            self.batch_size = batch_size
            self.experience = namedtuple("Experience", field_names=["state", "action", "reward", "next_state", "done"])
            self.seed = random.seed(seed)
            self.device = device or "cpu"

        def add_experience(self, states, actions, rewards, next_states, dones):
            self.memory.append(self.experience(states, actions, rewards, next_states, dones))

        def sample(self, num_experiences=None, separate_out_data_types=True):
            experiences = random.sample(self.memory, k=num_experiences or self.batch_size)
            return self.separate_out_data_types(experiences) if separate_out_data_types else experiences

        def separate_out_data_types(self, experiences):
            states = torch.from_numpy(np.vstack([e.state for e in experiences if e is not None])).float().to(self.device)
            actions = torch.from_numpy(np.vstack([e.action for e in experiences if e is not None])).float().to(self.device)
            rewards = torch.from_numpy(np.vstack([e.reward for e in experiences if e is not None])).float().to(self.device)
            next_states = torch.from_numpy(np.vstack([e.next_state for e in experiences if e is not None])).float().to(self.device)
            dones = torch.from_numpy(np.vstack([int(e.done) for e in experiences if e is not None])).float().to(self.device)
            return states, actions, rewards, next_states, dones

        def __len__(self):
            return len(self.memory)

    class Base_Agent(object):
        def __init__(self, state_size, action_size):
            self.state_size, self.action_size = state_size, action_size
            self.hyperparameters = hyper
            self.device = device
            self.seed = seed

        def create_NN(self, input_dim, output_dim, key_to_use=None, override_seed=None):
            h = self.hyperparameters[key_to_use] if key_to_use else self.hyperparameters
            torch.manual_seed(override_seed if override_seed else self.seed)
            layers, d = [], input_dim
            for n in h["linear_hidden_units"]:
                layers += [nn.Linear(d, n), nn.ReLU()]
                d = n
            layers.append(nn.Linear(d, output_dim))
            if h["final_layer_activation"] == "Softmax":
                layers.append(nn.Softmax(dim=1))
            return nn.Sequential(*layers).to(self.device)

        def take_optimisation_step(self, optimizer, network, loss, clipping_norm=None, retain_graph=False):
            if not isinstance(network, list):
                network = [network]
            optimizer.zero_grad()
            loss.backward(retain_graph=retain_graph)
            o.print("Loss -- {:.4f}".format(loss.item()))
            if clipping_norm is not None:
                for net in network:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), clipping_norm)
            optimizer.step()

        def soft_update_of_target_network(self, local_model, target_model, tau):
            for target_param, local_param in zip(target_model.parameters(), local_model.parameters()):
                target_param.data.copy_(tau * local_param.data + (1.0 - tau) * target_param.data)

        @staticmethod
        def copy_model_over(from_model, to_model):
            for to_model, from_model in zip(to_model.parameters(), from_model.parameters()):
                to_model.data.copy_(from_model.data.clone())

    return Base_Agent, Replay_Buffer


def sac_discrete(L):
    torch, F = L, L.nn.functional
    Adam = L.optim.Adam
    Categorical = L.distributions.Categorical
    hyper = {"Actor": {"learning_rate": 0.0003, "linear_hidden_units": [32, 32],
                       "final_layer_activation": "Softmax", "gradient_clipping_norm": 5},
             "Critic": {"learning_rate": 0.0003, "linear_hidden_units": [32, 32],
                        "final_layer_activation": None, "buffer_size": 1000000, "tau": 0.005,
                        "gradient_clipping_norm": 5},
             "batch_size": 16, "discount_rate": 0.99, "automatically_tune_entropy_hyperparameter": True,
             "min_steps_before_learning": 20}
    with Out() as o:
        Base_Agent, Replay_Buffer = _base(L, o, hyper, 1)

        class SAC_Discrete(Base_Agent):
            def __init__(self, state_size, action_size):
                Base_Agent.__init__(self, state_size, action_size)
                self.critic_local = self.create_NN(input_dim=self.state_size, output_dim=self.action_size, key_to_use="Critic")
                self.critic_local_2 = self.create_NN(input_dim=self.state_size, output_dim=self.action_size,
                                                     key_to_use="Critic", override_seed=self.seed + 1)
                self.critic_optimizer = torch.optim.Adam(self.critic_local.parameters(), lr=self.hyperparameters["Critic"]["learning_rate"], eps=1e-4)
                self.critic_optimizer_2 = torch.optim.Adam(self.critic_local_2.parameters(), lr=self.hyperparameters["Critic"]["learning_rate"], eps=1e-4)
                self.critic_target = self.create_NN(input_dim=self.state_size, output_dim=self.action_size, key_to_use="Critic")
                self.critic_target_2 = self.create_NN(input_dim=self.state_size, output_dim=self.action_size, key_to_use="Critic")
                Base_Agent.copy_model_over(self.critic_local, self.critic_target)
                Base_Agent.copy_model_over(self.critic_local_2, self.critic_target_2)
                self.memory = Replay_Buffer(self.hyperparameters["Critic"]["buffer_size"], self.hyperparameters["batch_size"], self.seed, device=self.device)
                self.actor_local = self.create_NN(input_dim=self.state_size, output_dim=self.action_size, key_to_use="Actor")
                self.actor_optimizer = torch.optim.Adam(self.actor_local.parameters(), lr=self.hyperparameters["Actor"]["learning_rate"], eps=1e-4)
                self.target_entropy = -np.log((1.0 / self.action_size)) * 0.98
                self.log_alpha = torch.zeros(1, requires_grad=True, device=self.device)
                self.alpha = self.log_alpha.exp()
                self.alpha_optim = Adam([self.log_alpha], lr=self.hyperparameters["Actor"]["learning_rate"], eps=1e-4)

            def produce_action_and_action_info(self, state):
                action_probabilities = self.actor_local(state)
                max_probability_action = torch.argmax(action_probabilities, dim=-1)
                action_distribution = Categorical(action_probabilities)
                action = action_distribution.sample().cpu()
                z = action_probabilities == 0.0
                z = z.float() * 1e-8
                log_action_probabilities = torch.log(action_probabilities + z)
                return action, (action_probabilities, log_action_probabilities), max_probability_action

            def calculate_critic_losses(self, state_batch, action_batch, reward_batch, next_state_batch, mask_batch):
                with torch.no_grad():
                    next_state_action, (action_probabilities, log_action_probabilities), _ = self.produce_action_and_action_info(next_state_batch)
                    qf1_next_target = self.critic_target(next_state_batch)
                    qf2_next_target = self.critic_target_2(next_state_batch)
                    min_qf_next_target = action_probabilities * (torch.min(qf1_next_target, qf2_next_target) - self.alpha * log_action_probabilities)
                    min_qf_next_target = min_qf_next_target.sum(dim=1).unsqueeze(-1)
                    next_q_value = reward_batch + (1.0 - mask_batch) * self.hyperparameters["discount_rate"] * (min_qf_next_target)
                qf1 = self.critic_local(state_batch).gather(1, action_batch.long())
                qf2 = self.critic_local_2(state_batch).gather(1, action_batch.long())
                qf1_loss = F.mse_loss(qf1, next_q_value)
                qf2_loss = F.mse_loss(qf2, next_q_value)
                return qf1_loss, qf2_loss

            def calculate_actor_loss(self, state_batch):
                action, (action_probabilities, log_action_probabilities), _ = self.produce_action_and_action_info(state_batch)
                qf1_pi = self.critic_local(state_batch)
                qf2_pi = self.critic_local_2(state_batch)
                min_qf_pi = torch.min(qf1_pi, qf2_pi)
                inside_term = self.alpha * log_action_probabilities - min_qf_pi
                policy_loss = (action_probabilities * inside_term).sum(dim=1).mean()
                log_action_probabilities = torch.sum(log_action_probabilities * action_probabilities, dim=1)
                return policy_loss, log_action_probabilities

            def calculate_entropy_tuning_loss(self, log_pi):
                alpha_loss = -(self.log_alpha * (log_pi + self.target_entropy).detach()).mean()
                return alpha_loss

            def learn(self):
                state_batch, action_batch, reward_batch, next_state_batch, mask_batch = self.memory.sample()
                qf1_loss, qf2_loss = self.calculate_critic_losses(state_batch, action_batch, reward_batch, next_state_batch, mask_batch)
                clip = self.hyperparameters["Critic"]["gradient_clipping_norm"]
                self.take_optimisation_step(self.critic_optimizer, self.critic_local, qf1_loss, clip)
                self.take_optimisation_step(self.critic_optimizer_2, self.critic_local_2, qf2_loss, clip)
                self.soft_update_of_target_network(self.critic_local, self.critic_target, self.hyperparameters["Critic"]["tau"])
                self.soft_update_of_target_network(self.critic_local_2, self.critic_target_2, self.hyperparameters["Critic"]["tau"])
                policy_loss, log_pi = self.calculate_actor_loss(state_batch)
                alpha_loss = self.calculate_entropy_tuning_loss(log_pi)
                self.take_optimisation_step(self.actor_optimizer, self.actor_local, policy_loss, self.hyperparameters["Actor"]["gradient_clipping_norm"])
                self.take_optimisation_step(self.alpha_optim, None, alpha_loss, None)
                self.alpha = self.log_alpha.exp()

            def pick_action(self, state, eval_ep=False):
                state = torch.FloatTensor([state]).to(self.device)
                if eval_ep:
                    with torch.no_grad():
                        _, _, action = self.produce_action_and_action_info(state)
                else:
                    action, _, _ = self.produce_action_and_action_info(state)
                return action.detach().cpu().numpy()[0]

        env = FakeEnv(4, n_actions=3, seed=5)
        agent = SAC_Discrete(4, 3)
        o.print(agent.actor_local)
        o.print("target entropy {:.6f}".format(agent.target_entropy), agent.alpha)
        for episode in range(3):
            state, score = env.reset().tolist(), 0.0
            for t in range(25):
                action = agent.pick_action(state)
                next_state, reward, done, _ = env.step(action)
                agent.memory.add_experience(state, action, reward, next_state.tolist(), done)
                if len(agent.memory) > hyper["min_steps_before_learning"] and t % 4 == 0:
                    agent.learn()
                state, score = next_state.tolist(), score + reward
                if done:
                    break
            o.print("Episode {} score {:.4f} alpha {:.4f}".format(episode, score, agent.alpha.item()))
        o.print(agent.pick_action(state, eval_ep=True), agent.log_alpha)
        o.vals += [agent.log_alpha] + list(agent.actor_local.parameters()) + list(agent.critic_target_2.parameters())
    return o.done()


def ddqn_prioritised(L):
    torch, F, optim = L, L.nn.functional, L.optim
    hyper = {"learning_rate": 0.01, "batch_size": 16, "buffer_size": 1000, "epsilon": 0.3,
             "discount_rate": 0.99, "tau": 0.01, "alpha_prioritised_replay": 0.6,
             "beta_prioritised_replay": 0.1, "incremental_td_error": 1e-8, "update_every_n_steps": 2,
             "linear_hidden_units": [24, 24], "final_layer_activation": "None",
             "gradient_clipping_norm": 0.7}
    with Out() as o:
        Base_Agent, _ = _base(L, o, hyper, 2)

        class Prioritised_Replay_Buffer(object):
            """The proportional buffer's interface (add_experience with a td error, sample ->
            (experiences, importance_sampling_weights), update_td_errors, give_max_td_error)."""

            def __init__(self, hyperparameters, seed=0):
                self.h = hyperparameters
                self.rng = np.random.RandomState(seed)
                self.data, self.td = [], []

            def give_max_td_error(self):
                return max(self.td) if self.td else 0.0

            def add_experience(self, td_error, state, action, reward, next_state, done):
                self.data.append((state, action, reward, next_state, done))
                self.td.append(abs(td_error) + self.h["incremental_td_error"])

            def sample(self):
                p = np.array(self.td) ** self.h["alpha_prioritised_replay"]
                p = p / p.sum()
                self.idx = self.rng.choice(len(self.data), self.h["batch_size"], p=p)
                w = (len(self.data) * p[self.idx]) ** -self.h["beta_prioritised_replay"]
                importance_sampling_weights = torch.tensor(w / w.max()).float()
                exps = [self.data[i] for i in self.idx]
                states = torch.from_numpy(np.vstack([e[0] for e in exps])).float()
                actions = torch.from_numpy(np.vstack([e[1] for e in exps])).float()
                rewards = torch.from_numpy(np.vstack([e[2] for e in exps])).float()
                next_states = torch.from_numpy(np.vstack([e[3] for e in exps])).float()
                dones = torch.from_numpy(np.vstack([int(e[4]) for e in exps])).float()
                return (states, actions, rewards, next_states, dones), importance_sampling_weights

            def update_td_errors(self, td_errors):
                for i, e in zip(self.idx, td_errors):
                    self.td[i] = abs(float(e)) + self.h["incremental_td_error"]

        class DDQN_With_Prioritised_Experience_Replay(Base_Agent):
            agent_name = "DDQN with Prioritised Replay"

            def __init__(self, state_size, action_size):
                Base_Agent.__init__(self, state_size, action_size)
                self.q_network_local = self.create_NN(input_dim=self.state_size, output_dim=self.action_size)
                self.q_network_optimizer = optim.Adam(self.q_network_local.parameters(), lr=self.hyperparameters["learning_rate"], eps=1e-4)
                self.q_network_target = self.create_NN(input_dim=self.state_size, output_dim=self.action_size)
                Base_Agent.copy_model_over(from_model=self.q_network_local, to_model=self.q_network_target)
                self.memory = Prioritised_Replay_Buffer(self.hyperparameters, 2)

            def learn(self):
                sampled_experiences, importance_sampling_weights = self.memory.sample()
                states, actions, rewards, next_states, dones = sampled_experiences
                loss, td_errors = self.compute_loss_and_td_errors(states, next_states, rewards, actions, dones, importance_sampling_weights)
                self.take_optimisation_step(self.q_network_optimizer, self.q_network_local, loss, self.hyperparameters["gradient_clipping_norm"])
                self.soft_update_of_target_network(self.q_network_local, self.q_network_target, self.hyperparameters["tau"])
                self.memory.update_td_errors(td_errors.squeeze(1))

            def save_experience(self, state, action, reward, next_state, done):
                max_td_error_in_experiences = self.memory.give_max_td_error() + 1e-9
                self.memory.add_experience(max_td_error_in_experiences, state, action, reward, next_state, done)

            def compute_q_values_for_next_states(self, next_states):
                max_action_indexes = self.q_network_local(next_states).detach().argmax(1)
                Q_targets_next = self.q_network_target(next_states).gather(1, max_action_indexes.unsqueeze(1))
                return Q_targets_next

            def compute_q_targets(self, next_states, rewards, dones):
                Q_targets_next = self.compute_q_values_for_next_states(next_states)
                return rewards + (self.hyperparameters["discount_rate"] * Q_targets_next * (1 - dones))

            def compute_expected_q_values(self, states, actions):
                return self.q_network_local(states).gather(1, actions.long())

            def compute_loss_and_td_errors(self, states, next_states, rewards, actions, dones, importance_sampling_weights):
                Q_targets = self.compute_q_targets(next_states, rewards, dones)
                Q_expected = self.compute_expected_q_values(states, actions)
                loss = F.mse_loss(Q_expected, Q_targets)
                loss = loss * importance_sampling_weights
                loss = torch.mean(loss)
                td_errors = Q_targets.data.cpu().numpy() - Q_expected.data.cpu().numpy()
                return loss, td_errors

            def pick_action(self, state):
                state = torch.from_numpy(state).float().unsqueeze(0).to(self.device)
                if len(state.shape) < 2:
                    state = state.unsqueeze(0)
                self.q_network_local.eval()
                with torch.no_grad():
                    action_values = self.q_network_local(state)
                self.q_network_local.train()
                if random.random() > self.hyperparameters["epsilon"]:
                    return torch.argmax(action_values).item()
                return random.randint(0, action_values.shape[1] - 1)

        random.seed(2)
        env = FakeEnv(6, n_actions=2, seed=6)
        agent = DDQN_With_Prioritised_Experience_Replay(6, 2)
        o.print(agent.q_network_local)
        for episode in range(3):
            state, score, steps = env.reset(), 0.0, 0
            for t in range(25):
                action = agent.pick_action(state)
                next_state, reward, done, _ = env.step(action)
                agent.save_experience(state, action, reward, next_state, done)
                steps += 1
                if len(agent.memory.data) > hyper["batch_size"] and steps % hyper["update_every_n_steps"] == 0:
                    agent.learn()
                state, score = next_state, score + reward
                if done:
                    break
            o.print("Episode {} score {:.4f} max td {:.4f}".format(episode, score, agent.memory.give_max_td_error()))
        o.vals += list(agent.q_network_local.parameters()) + list(agent.q_network_target.parameters())
    return o.done()
